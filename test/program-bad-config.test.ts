// A bad stack config stops the real program before it registers a single resource, with Pulumi's
// RunError (shown to the admin without a stack trace) naming the key, the value and the fix.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { captured, runProgram } from "../tools/offline/mockEngine";

describe("program with a bad stack config", () => {
    it("fails with a RunError and creates nothing", async () => {
        const attempt = runProgram({ overrides: { "elabftw-onprem:dbAddress": "192.168.1.11", "elabftw-onprem:elabftwVersion": "latest" } });
        await assert.rejects(attempt, (error: unknown) => {
            assert.ok(pulumi.RunError.isInstance(error), `expected a RunError, got ${String(error)}`);
            const message = (error as Error).message;
            assert.match(message, /2 problems\); nothing was created/);
            assert.match(message, /elabftw-onprem:dbAddress = "192\.168\.1\.11": is not a usable host address inside serverSubnet/);
            assert.match(message, /elabftw-onprem:elabftwVersion = "latest": is a floating tag/);
            assert.match(message, /Fix: pulumi config set elabftwVersion 5\.6\.12/);
            return true;
        });
        assert.deepEqual(captured, [], "no resource may be registered before the config is valid");
    });
});
