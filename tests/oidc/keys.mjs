// The signing keys: the current set, the one before the latest rotation, and foreign keys never published.
import * as jose from 'jose';

export const KINDS = [
  { alg: 'RS256', prefix: 'rs' },
  { alg: 'ES256', prefix: 'es' },
  { alg: 'EdDSA', prefix: 'ed' },
];

export async function makeKey(alg, kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...await jose.exportJWK(publicKey), kid, alg, use: 'sig' };
  const privateJwk = { ...await jose.exportJWK(privateKey), kid, alg, use: 'sig' };
  return {
    alg, kid, privateKey, publicJwk, privateJwk, pem: await jose.exportSPKI(publicKey),
  };
}

async function makeKeySet(generation) {
  const set = {};
  for (const { alg, prefix } of KINDS) set[alg] = await makeKey(alg, `${prefix}-${generation}`);
  return set;
}

let generation = 1;
export let currentKeys = await makeKeySet(generation);
export let previousKeys = null; // the set before the latest rotation (kept even when unpublished)
let publishPrevious = false;
export const foreignKeys = {}; // alg -> key never published (kid foreign-<prefix>-1)

export const publishedKeys = () => [
  ...Object.values(currentKeys),
  ...(publishPrevious && previousKeys ? Object.values(previousKeys) : []),
];

/** A new generation of keys signs from now on; the previous one stays published unless dropped. */
export async function rotateKeys(dropPrevious) {
  const next = await makeKeySet(generation + 1);
  generation += 1;
  previousKeys = currentKeys;
  currentKeys = next;
  publishPrevious = !dropPrevious;
}
