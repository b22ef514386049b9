// eLabFTW's SECRET_KEY format, checked by an independent implementation in PHP (the language
// eLabFTW reads it with), not by the function under test.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defuseAsciiSafeKey } from "../components/pki/defuseKey";

// What defuse/php-encryption's Key::loadFromAsciiSafeString checks, written from its format:
// hex-decode, 4-byte header DE F0 00 00, 32 key bytes, SHA-256 of header + key as the last 32 bytes.
const PHP_CHECK = String.raw`
$hex = trim(stream_get_contents(STDIN));
if (!ctype_xdigit($hex) || strlen($hex) % 2 !== 0) { echo "not a hex string"; exit(1); }
$bytes = hex2bin($hex);
if (strlen($bytes) !== 68) { echo "bad length " . strlen($bytes); exit(1); }
if (substr($bytes, 0, 4) !== "\xDE\xF0\x00\x00") { echo "Invalid header"; exit(1); }
if (!hash_equals(hash("sha256", substr($bytes, 0, 36), true), substr($bytes, 36))) { echo "bad checksum"; exit(1); }
echo "ok";
`;

function phpCheck(key: string): string {
    const result = spawnSync("php", ["-r", PHP_CHECK], { input: key, encoding: "utf8" });
    assert.equal(result.error, undefined, "php-cli must be installed (.ci/run installs it)");
    return result.stdout;
}

describe("SECRET_KEY in defuse's ASCII-safe format", () => {
    it("is 136 lowercase hex characters starting with def00000", () => {
        const key = defuseAsciiSafeKey(randomBytes(32).toString("hex"));
        assert.match(key, /^def00000[0-9a-f]{128}$/);
    });

    it("passes PHP's header, length and checksum checks for many random keys", () => {
        for (let i = 0; i < 5; i++) assert.equal(phpCheck(defuseAsciiSafeKey(randomBytes(32).toString("hex"))), "ok");
    });

    it("is caught by the same PHP check when damaged (the check can fail)", () => {
        const key = defuseAsciiSafeKey(randomBytes(32).toString("hex"));
        const flipped = key.slice(0, 20) + (key[20] === "0" ? "1" : "0") + key.slice(21);
        assert.equal(phpCheck(flipped), "bad checksum");
        assert.equal(phpCheck("abcd0000" + key.slice(8)), "Invalid header");
    });

    it("refuses input that is not 32 bytes of hex", () => {
        assert.throws(() => defuseAsciiSafeKey("ab".repeat(31)), /exactly 32 random bytes/);
        assert.throws(() => defuseAsciiSafeKey("AB".repeat(32)), /lowercase hex/);
    });
});
