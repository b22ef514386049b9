// The pack's models of what the software reading a value does with it: host paths as Docker cleans
// them, Borg's own directories, copies leaving the VM, secrets in any text, settings sent to eLabFTW,
// the guests' nftables rules evaluated packet by packet.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUnder, normalisePath } from "../policies/models/paths";

describe("host paths", () => {
    it("are cleaned as Docker cleans a bind source: //, ., .., trailing slashes", () => {
        assert.equal(normalisePath("/srv/elabftw/../../opt/x/"), "/opt/x");
        assert.equal(normalisePath("//srv//elabftw/./mysql/"), "/srv/elabftw/mysql");
        assert.equal(normalisePath("/../.."), "/");
        assert.equal(isUnder("/srv/elabftw/../elabftw-uploads", "/srv/elabftw"), false);
        assert.equal(isUnder("/srv/elabftw/./mysql", "/srv/elabftw/"), true);
        assert.equal(isUnder("/srv/elabftwx", "/srv/elabftw"), false);
    });
});
