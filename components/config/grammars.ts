// Character-level grammars of config values that reach a command line, an env or unit file,
// authorized_keys, cloud-init, a container's environment or eLabFTW: nothing a shell, sed, YAML or
// systemd would reinterpret ($ ` ; | & ' " \ # % spaces, control characters) gets through where it
// could matter. test/hostileConfig.test.ts feeds every string key a hostile corpus.

/** A lowercase DNS name with at least one dot (no trailing dot). */
export const HOST = "(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?";
const PORT = "(?::\\d{1,5})?";
/** Percent signs only as percent-encoding (%2F), never as a format directive (%s). */
const PATH = "(?:/(?:[A-Za-z0-9._~/+=:@-]|%[0-9A-Fa-f]{2})*)?";

/** eLabFTW's SITE_URL: elabimg pastes it into a php-fpm pool file with sed, so no " \ # & % or newline. */
export const SITE_URL = new RegExp(`^https://${HOST}${PORT}(?:/[A-Za-z0-9._~-]+)*$`);
/** A file to download: path segments of a safe set, no query. */
export const FILE_URL = new RegExp(`^https://${HOST}${PORT}(?:/[A-Za-z0-9._~+-]+)+$`);
/** An https URL handed to eLabFTW as data: & and % in the query only. */
export const HTTPS_URL = new RegExp(`^(?=.{1,2000}$)https://${HOST}${PORT}${PATH}(?:\\?(?:[A-Za-z0-9._~/+=:@&-]|%[0-9A-Fa-f]{2})*)?$`);
/** A SAML entity ID: such a URL without a query, or a URN. */
export const ENTITY_ID = new RegExp(`^(?=.{4,250}$)(?:https://${HOST}${PORT}${PATH}|urn:[A-Za-z0-9._~:/+=@-]+)$`);
/** A plain e-mail address: no quoting, no leading dot or dash in the local part. */
export const EMAIL = new RegExp(`^(?=.{3,254}$)[A-Za-z0-9_+][A-Za-z0-9._+-]{0,63}@${HOST}$`, "i");
export const EMAIL_RULE = "is not a plain email address (letters, digits and . _ + - before the @, a domain after)";
