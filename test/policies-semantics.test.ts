// The pack's models of what the software reading a value does with it: host paths as Docker cleans
// them, Borg's own directories, copies leaving the VM, secrets in any text, settings sent to eLabFTW,
// the guests' nftables rules evaluated packet by packet.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUnder, normalisePath } from "../policies/models/paths";
import { documentWrites, httpWrites, scriptWrites, sqlWrites } from "../policies/models/elabftwSettings";

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

describe("eLabFTW settings as sent", () => {
    it("reads a settings document, HTTP bodies and query strings, and SQL on the config table", () => {
        assert.deepEqual(documentWrites('{"config": {"anon_users": true, "login_tries": 10, "emit_audit_logs": false}, "idp": null}'), [["anon_users", "1"], ["login_tries", "10"], ["emit_audit_logs", ""]]);
        assert.deepEqual(httpWrites(["curl", "-X", "PATCH", "https://elab/api/v2/config", "--data-binary", '{"enforce_mfa":"0"}']), [["enforce_mfa", "0"]]);
        assert.deepEqual(httpWrites(["curl", "--request=PATCH", "https://elab/api/v2/config?local_login=1", "-dmin_password_length=6&login_tries=50"]), [["local_login", "1"], ["min_password_length", "6"], ["login_tries", "50"]]);
        assert.deepEqual(httpWrites(["curl", "https://elab/api/v2/items", "-d", "anon_users=1"]), []);
        assert.deepEqual(sqlWrites("UPDATE config SET conf_value = '1' WHERE conf_name = \"anon_users\"; insert into `config` (conf_value, conf_name) values ('0','emit_audit_logs'),('1', 'local_register');"), [["anon_users", "1"], ["emit_audit_logs", "0"], ["local_register", "1"]]);
    });

    it("finds the writes inside a script's commands, behind wrappers", () => {
        const script = `sudo docker exec mysql mysql elabftw -e "UPDATE config SET conf_value='0' WHERE conf_name='enforce_mfa'"\ncurl -sS --json '{"anon_users":"1"}' -X PATCH "$base/api/v2/config" || true\n`;
        assert.deepEqual(scriptWrites(script.replace('"$base', '"https://x')), [["anon_users", "1"], ["enforce_mfa", "0"]]);
    });
});
