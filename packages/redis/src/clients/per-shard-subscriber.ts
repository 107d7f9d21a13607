import type { ChannelListener } from "../types";
import type { DedicatedSubscriber } from "./dedicated-subscriber";

/** "MOVED <slot> <host:port>": the shard a sharded subscription belongs on now. */
const MOVED_REPLY = /^MOVED \d+ (\S+)/;

/**
 * Sharded pub/sub for a cluster client that cannot route SSUBSCRIBE itself (iovalkey 0.4 sends
 * it to one node, which answers MOVED for every other shard's channel): one subscriber
 * connection per shard, opened on first need, each channel subscribed on the shard `route`
 * names for it, or on the one a MOVED reply names (a slot that moved since the client last
 * looked). A connection that fails to open is forgotten so the next subscription retries.
 */
export function perShardSubscriber(
  route: (channel: string) => string | undefined,
  openOn: (address: string) => Promise<DedicatedSubscriber>,
): DedicatedSubscriber {
  const shards = new Map<string, Promise<DedicatedSubscriber>>();
  const channels = new Map<string, string>();

  const shard = (address: string): Promise<DedicatedSubscriber> => {
    let opened = shards.get(address);
    if (opened === undefined) {
      opened = openOn(address);
      shards.set(address, opened);
      opened.catch(() => {
        if (shards.get(address) === opened) shards.delete(address);
      });
    }
    return opened;
  };

  const subscribeOn = async (address: string, channel: string, listener: ChannelListener) => {
    await (await shard(address)).subscribe(channel, listener);
    channels.set(channel, address);
  };

  return {
    async subscribe(channel, listener) {
      const address = route(channel);
      if (address === undefined) {
        throw new Error(`no known cluster node serves the slot of channel ${channel} yet`);
      }
      try {
        await subscribeOn(address, channel, listener);
      } catch (error) {
        const moved = MOVED_REPLY.exec(error instanceof Error ? error.message : "");
        if (!moved || moved[1] === address) throw error;
        await subscribeOn(moved[1] as string, channel, listener);
      }
    },
    async unsubscribe(channel, listener) {
      const address = channels.get(channel);
      if (address === undefined) return;
      channels.delete(channel);
      const subscriber = await shards.get(address)?.catch(() => undefined);
      await subscriber?.unsubscribe(channel, listener);
    },
    async close() {
      const open = [...shards.values()];
      shards.clear();
      channels.clear();
      await Promise.allSettled(
        open.map(async (opened) => (await opened.catch(() => undefined))?.close()),
      );
    },
  };
}
