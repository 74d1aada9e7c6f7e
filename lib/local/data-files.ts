/** Files the local runtime keeps in its data dir, beside the databases. */
export const ADMIN_KEY_FILE = 'admin-api-key';
export const DEV_ISSUER_KEY_FILE = 'dev-issuer-key.json';
