/**
 * The gate in front of every kernel test: on a machine without root, iptables or iproute2
 * the tests skip loudly; under CI (process.env.CI set) they fail instead, since CI installs
 * everything and nothing may be skipped there.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { kernelAvailability, nftAvailable } from './oracle';

/** true when the kernel tests can run; otherwise skips (or, under CI, fails) the test. */
export function needKernel(t: TestContext): boolean {
  const a = kernelAvailability();
  if (a.ok) return true;
  const msg = `SKIPPED: kernel differential tests need root + iptables + iproute2: ${a.why}`;
  if (process.env.CI) assert.fail(`${msg} (CI is set, so this is a failure)`);
  console.error(msg);
  t.skip(msg);
  return false;
}

/** Like needKernel, and nft (Debian package nftables) too. */
export function needNft(t: TestContext): boolean {
  if (!needKernel(t)) return false;
  if (nftAvailable()) return true;
  const msg = 'SKIPPED: nftables differential tests need `nft` (apt-get install nftables)';
  if (process.env.CI) assert.fail(`${msg} (CI is set, so this is a failure)`);
  console.error(msg);
  t.skip(msg);
  return false;
}

/** Seed from NFRULES_SEED (to reproduce or vary a run), else the fixed default. */
export function seedFor(name: string, fallback: number): number {
  const env = process.env.NFRULES_SEED;
  const seed = env !== undefined && env !== '' ? Number(env) >>> 0 : fallback;
  console.log(`[${name}] seed ${seed} (set NFRULES_SEED to change)`);
  return seed;
}

export const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
