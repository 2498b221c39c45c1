/**
 * The custom requests between the client and the server, typed once for both sides. The
 * client imports this file and nothing else of the server (a test holds it to that).
 */
import type { WalkRequest, WalkView } from './core/iptables/walk/walkView';

export type { WalkRequest, WalkView };

/** `nfrules/walk`: walk the sample packet through a hook and pin the walk to the document. */
export const WALK_REQUEST = 'nfrules/walk';
export type WalkResponse = WalkView | null;

/** `nfrules/clearWalk`: unpin the walk of a document. */
export const CLEAR_WALK_REQUEST = 'nfrules/clearWalk';
export interface ClearWalkParams {
  uri: string;
}
