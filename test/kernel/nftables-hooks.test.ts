// The hook and priority tables of server/src/core/nftables/docs.ts against
// the real nft (`nft -c` in a fresh namespace): every family, chain type and
// hook is tried, and every priority name on every hook a filter chain may
// use; nft must accept exactly what the tables allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needNft } from './gate';
import { withNetns } from './oracle';
import {
  NFT_FAMILIES,
  NFT_CHAIN_TYPES,
  NFT_HOOKS,
  NFT_PRIORITIES,
  nftHookAllowed,
  nftPriorityValue,
  type NftFamily,
  type NftHook,
} from '../../server/src/core/nftables/docs';

function chain(family: NftFamily, type: string, hook: NftHook, priority: string): string {
  const device = family === 'netdev' || hook === 'ingress' || hook === 'egress' ? ' device "lo"' : '';
  return `table ${family} t {\n\tchain c {\n\t\ttype ${type} hook ${hook}${device} priority ${priority};\n\t}\n}\n`;
}

test('nft accepts a base chain exactly where the docs hook table allows it', async (t) => {
  if (!needNft(t)) return;
  const wrong: string[] = [];
  let tried = 0;
  await withNetns(async (ns) => {
    for (const f of NFT_FAMILIES)
      for (const type of NFT_CHAIN_TYPES)
        for (const h of NFT_HOOKS) {
          const r = await ns.exec('nft', ['-c', '-f', '-'], chain(f, type, h, '0'));
          tried++;
          const accepted = r.code === 0;
          if (accepted !== nftHookAllowed(f, type, h))
            wrong.push(`${f} ${type} ${h}: nft ${accepted ? 'accepts' : `refuses (${r.stderr.split('\n')[0]})`}, the table says ${accepted ? 'no' : 'yes'}`);
        }
  });
  console.log(`[nft hooks] ${tried} family/type/hook combinations tried`);
  assert.deepEqual(wrong, []);
});

test('nft accepts a priority name exactly where the docs priority table has a number for it', async (t) => {
  if (!needNft(t)) return;
  const names = [
    ...new Set(
      Object.values(NFT_PRIORITIES)
        .flat()
        .map((p) => p.name),
    ),
  ];
  const wrong: string[] = [];
  let tried = 0;
  await withNetns(async (ns) => {
    for (const f of NFT_FAMILIES)
      for (const h of NFT_HOOKS) {
        if (!nftHookAllowed(f, 'filter', h)) continue;
        for (const n of names) {
          const r = await ns.exec('nft', ['-c', '-f', '-'], chain(f, 'filter', h, n));
          tried++;
          const accepted = r.code === 0;
          const value = nftPriorityValue(f, h, n);
          if (accepted !== (value !== undefined))
            wrong.push(`${f} ${h} priority ${n}: nft ${accepted ? 'accepts' : 'refuses'}, the table says ${value ?? 'no'}`);
        }
      }
  });
  console.log(`[nft hooks] ${tried} priority names tried`);
  assert.deepEqual(wrong, []);
});
