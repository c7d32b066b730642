// Frames arrive in whatever size the audio source hands out; the AMD engine works in fixed 10 ms
// blocks. One re-blocker for the detector and the voicemail cue.

export interface Reblocker {
  /**
   * Cuts `frame` into blocks (carrying the remainder over to the next frame) and hands each whole
   * block to `onBlock` (the same buffer every time: copy what must outlive the call). Stops early,
   * keeping no remainder, once `onBlock` returns true.
   */
  push(frame: Int16Array, onBlock: (block: Int16Array) => boolean): void;
}

export function createReblocker(blockLen: number): Reblocker {
  const pending = new Int16Array(blockLen);
  let pendingLen = 0;
  return {
    push(frame, onBlock) {
      let offset = 0;
      while (offset < frame.length) {
        const take = Math.min(blockLen - pendingLen, frame.length - offset);
        pending.set(frame.subarray(offset, offset + take), pendingLen);
        pendingLen += take;
        offset += take;
        if (pendingLen === blockLen) {
          pendingLen = 0;
          if (onBlock(pending)) return;
        }
      }
    },
  };
}
