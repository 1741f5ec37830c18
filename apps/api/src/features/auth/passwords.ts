import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt and a random salt. The parameters are stored with the hash
 * (`scrypt$log2N$r$p$salt$hash`) so the cost can rise without breaking existing accounts.
 */
export async function hashPassword(secret: string, log2N: number): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** log2N;
  const key = await derive(secret, salt, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
  return ["scrypt", log2N, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Checks a password against a stored hash in constant time; false for malformed or empty hashes. */
export async function verifyPassword(secret: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const N = 2 ** Number(log2N);
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(secret, Buffer.from(salt, "base64url"), { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** True when a stored hash was made with a lower cost than the current setting (rehash on next login). */
export function needsRehash(stored: string, log2N: number): boolean {
  const [scheme, storedLog2N] = stored.split("$");
  return scheme !== "scrypt" || Number(storedLog2N) < log2N;
}
