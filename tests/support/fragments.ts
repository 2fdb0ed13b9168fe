/**
 * Parts of a secret left in a text: every window of 4 consecutive characters of the secret
 * (MIN_SECRET_LENGTH, the shortest value masked) that the text contains. A cut through a secret
 * leaves such a part, which masking by value no longer recognises.
 */
export function secretFragments(secret: string, text: string, size = 4): string[] {
  const found = new Set<string>();
  for (let i = 0; i + size <= secret.length; i++) {
    const window = secret.slice(i, i + size);
    if (text.includes(window)) found.add(window);
  }
  return [...found];
}
