/** .env and .env.local hold credentials; .env.example holds names only. */
export const isSecretPath = (path: string) => /(^|\/)\.env(\.(?!example$)[^/]+)?$/.test(path) || /\.(pem|key)$/.test(path);
