// Cold transfer (SIP REFER) of the callee to the campaign's transfer target, behind a port so the
// tool can be tested without LiveKit. LiveKit's TransferSIPParticipant returns once the far end
// has accepted the REFER and reported the new call up (NOTIFY 200), or once the callee hung up
// after accepting it; livekit-sip then ends the callee's leg itself (disconnect reason
// CLIENT_INITIATED). A refusal comes back as a SipCallError with the SIP status.
import { ServerError, SipClient } from 'livekit-server-sdk';
import { sipStatusOf } from '../core/sip-status.js';

export type TransferResult = { ok: true } | { ok: false; sipStatus: number | null; reason: string };

/** Hands the callee to `referTo` (a tel: or sip: URI); never throws, a failure is a result. */
export type PlaceTransfer = (referTo: string) => Promise<TransferResult>;

/**
 * The Refer-To URI for a campaign target: E.164 numbers as tel: URIs, SIP URIs as they are
 * (livekit-sip wraps a sip: URI in angle brackets itself; tel: goes out bare).
 */
export function referTarget(to: string): string {
  return to.startsWith('+') ? `tel:${to}` : to;
}

/** Why a transfer failed, with the far end's SIP status when there was one. */
export function transferFailure(err: unknown): { sipStatus: number | null; reason: string } {
  const sip = sipStatusOf(err);
  if (sip) return { sipStatus: sip.code, reason: sip.reason || `SIP ${sip.code}` };
  if (err instanceof ServerError) return { sipStatus: null, reason: `${err.code ?? String(err.status)}: ${err.message}` };
  if (err instanceof Error && err.name === 'TimeoutError') return { sipStatus: null, reason: 'transfer request timed out' };
  return { sipStatus: null, reason: err instanceof Error ? err.message : String(err) };
}

export interface LiveKitTransferOptions {
  /** The LiveKit server (ws:// or http://) and the job's API credentials. */
  url: string;
  apiKey: string;
  apiSecret: string;
  roomName: string;
  /** The SIP participant to transfer: the callee. */
  participantIdentity: string;
  /** How long the far end may take to answer the transfer (LiveKit's default is 30 s). */
  ringingTimeoutSeconds?: number;
}

export function livekitTransfer(opts: LiveKitTransferOptions): PlaceTransfer {
  const client = new SipClient(opts.url, opts.apiKey, opts.apiSecret);
  return async (referTo) => {
    try {
      await client.transferSipParticipant(opts.roomName, opts.participantIdentity, referTo, {
        // As verified against the real stack; true would ring the callee while the REFER is pending.
        playDialtone: false,
        ...(opts.ringingTimeoutSeconds ? { ringingTimeout: opts.ringingTimeoutSeconds } : {}),
      });
      return { ok: true };
    } catch (err) {
      return { ok: false, ...transferFailure(err) };
    }
  };
}
