/**
 * The options of commands that can use the user's own keys (`sign`, `decrypt`, `open`): kept apart from
 * own-keys.ts so that naming them does not load the key sources (PKCS#11 binding, vault client) when a
 * key file is given instead.
 */
export const OWN_KEY_OPTIONS = {
  as: { type: 'string' },
  'passphrase-file': { type: 'string' },
  'pin-file': { type: 'string' },
} as const;
