import { peerModules } from "@syncguard/core/operator";

/** The client libraries (optional peers), resolved from this package as an install places them. */
const peers = peerModules(__filename);

export const installed = (name: string): boolean => peers.installed(name);
export const loadPeer = <T>(name: string): T => peers.load<T>(name);
export const resolvePeer = (name: string, besides?: string): string => peers.resolve(name, besides);
