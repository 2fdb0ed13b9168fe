/** The CLI masks with the engine's one secrets module (keys, patterns, values). */
export { isSecretKey, MASK, maskSecrets, maskText, SecretMasker } from "../engine/secrets/index.js";
