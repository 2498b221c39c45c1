/**
 * Which language a document is in when the editor does not say: nftables for `*.nft`,
 * `nftables.conf`, files under `nftables.d/`, and any file whose first line is an `nft -f`
 * shebang; else iptables (save file, shell script or listing, see detectFormat).
 */
export function isNftables(uri: string, text: string, languageId?: string): boolean {
  if (languageId === 'nftables') return true;
  if (languageId && languageId !== 'plaintext') return false;
  const path = uri.replace(/[?#].*$/, '');
  if (/\.nft$/i.test(path) || /(^|[/\\])nftables\.conf$/.test(path) || /[/\\]nftables\.d[/\\][^/\\]+$/.test(path)) return true;
  return /^#!\s*\S*\bnft\b.*\s-f\b/.test(text.slice(0, 200));
}
