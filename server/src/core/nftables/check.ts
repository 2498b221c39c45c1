/**
 * The entry point of nftables diagnostics: text in, findings out (the same shape as the
 * iptables findings), as nft 1.0.6 would judge the file with `nft -c -f`.
 */
import type { NftFinding as Finding } from './knowledge/codes';
import type { NftFile } from './syntax/ast';
import { checkFile } from './checks/checks';
import { parseNft } from './syntax/parser';
import { markFindings } from './checks/markChecks';

export interface CheckNftOptions {
  /**
   * The text of an included file by the path written in `include "..."`, or undefined when it
   * cannot be found (then a warning, and names it could define are not judged). Without a
   * resolver, includes are not followed and what they could define is not judged either.
   */
  resolveInclude?: (path: string) => string | undefined;
}

export interface NftCheckResult {
  file: NftFile;
  findings: Finding[];
}

/** Parses and checks an nftables file. Never throws. */
export function analyzeNft(text: string, opts: CheckNftOptions = {}): NftCheckResult {
  const unresolved: { path: string }[] = [];
  const resolve = opts.resolveInclude
    ? (p: string): string | undefined => {
        let t: string | undefined;
        try {
          t = opts.resolveInclude!(p);
        } catch {
          t = undefined;
        }
        if (t === undefined) unresolved.push({ path: p });
        return t;
      }
    : undefined;
  const file = parseNft(text, { resolveInclude: resolve });
  const included = collectIncluded(file);
  const findings = checkFile(file, { unresolvedIncludes: !opts.resolveInclude ? file.includes.length > 0 : unresolved.length > 0, included });
  if (!file.problems.length) findings.push(...markFindings(file, text));
  if (opts.resolveInclude) {
    const missing = new Set(unresolved.map((u) => u.path));
    for (const inc of file.includes) {
      if (missing.has(inc.path) && !/[*?[]/.test(inc.path)) {
        findings.push({
          code: 'nft-include-unresolved',
          severity: 'warning',
          message: `File not found: ${inc.path}`,
          line: inc.span.line,
          s: inc.span.col,
          endLine: inc.span.endLine,
          e: inc.span.endCol,
        });
      }
    }
  }
  findings.sort((a, b) => a.line - b.line || a.s - b.s);
  return { file, findings };
}

function collectIncluded(f: NftFile): NftFile[] {
  const out: NftFile[] = [];
  const walk = (x: NftFile, depth: number): void => {
    if (depth > 16) return;
    for (const i of x.included ?? []) {
      out.push(i.file);
      walk(i.file, depth + 1);
    }
  };
  walk(f, 0);
  return out;
}

/** The findings of an nftables file. Never throws. */
export function checkNft(text: string, opts: CheckNftOptions = {}): Finding[] {
  try {
    return analyzeNft(text, opts).findings;
  } catch {
    return [];
  }
}
