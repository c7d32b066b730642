// Attempts of one batch in the order they were queued (keyset pagination over the
// attempts_batch_idx index), each with its contact's phone: the contract item shape.
import type { Db } from '../../core/db/client.js';
import type { AttemptOutcome, AttemptStatus } from '../../core/domain.js';
import { keysetPage, textOf, type Cursor } from './keyset.js';

export interface AttemptItem {
  id: string;
  contactId: string;
  phone: string;
  attempt: number;
  status: AttemptStatus;
  outcome: AttemptOutcome | null;
  amd: unknown;
  sipStatus: number | null;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  recordingUrl: string | null;
  transferredTo: string | null;
  cursorAt: string;
}

export async function listAttempts(
  db: Db,
  batchId: string,
  limit: number,
  after: Cursor | null,
): Promise<AttemptItem[]> {
  const q = db
    .selectFrom('attempts as a')
    .innerJoin('contacts as c', 'c.id', 'a.contact_id')
    .select([
      'a.id',
      'a.contact_id',
      'c.phone',
      'a.attempt',
      'a.status',
      'a.outcome',
      'a.amd',
      'a.sip_status',
      'a.started_at',
      'a.answered_at',
      'a.ended_at',
      'a.duration_ms',
      'a.recording_url',
      'a.transferred_to',
      textOf('a.queued_at').as('cursor_at'),
    ])
    .where('a.batch_id', '=', batchId);
  const rows = await keysetPage(q, { time: 'a.queued_at', id: 'a.id', order: 'asc', after, limit }).execute();
  return rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    phone: r.phone,
    attempt: r.attempt,
    status: r.status,
    outcome: r.outcome,
    amd: r.amd,
    sipStatus: r.sip_status,
    startedAt: r.started_at,
    answeredAt: r.answered_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    recordingUrl: r.recording_url,
    transferredTo: r.transferred_to,
    cursorAt: r.cursor_at,
  }));
}
