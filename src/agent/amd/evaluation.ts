// Scores AMD verdicts against labels: the figures the bench reports and the integration test
// asserts. "uncertain" counts as wrong for accuracy but never as a human taken for a machine.
import type { AmdVerdict } from './types.js';

export interface LabelledVerdict {
  label: 'human' | 'machine';
  verdict: AmdVerdict;
  /** Humans: end of the first phrase. */
  humanPhraseEndMs?: number;
  /** Machines with a beep: its onset. */
  beepAtMs?: number;
}

export interface AmdScore {
  files: number;
  accuracy: number;
  humanAsMachineRate: number;
  machineAsHumanRate: number;
  uncertainRate: number;
  /** Over humans recognised as human: verdict time minus the end of their first phrase. */
  humanDecisionMsP50: number | null;
  humanDecisionMsP90: number | null;
  /** Over machines recognised as machine: verdict time from the start of the audio. */
  machineDecisionMsP50: number | null;
  /** Over machines with a beep: |found − true onset|; a missed beep counts as MISSED_BEEP_MS. */
  beepErrorMsP90: number | null;
  beepMissRate: number | null;
  /** Beeps reported on recordings that have none (humans and beepless machines). */
  falseBeepRate: number;
}

export const MISSED_BEEP_MS = 10_000;

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

const rate = (n: number, d: number): number => (d === 0 ? 0 : Math.round((n / d) * 10_000) / 10_000);

export function scoreVerdicts(items: readonly LabelledVerdict[]): AmdScore {
  const humans = items.filter((i) => i.label === 'human');
  const machines = items.filter((i) => i.label === 'machine');
  const correct = items.filter((i) => i.verdict.result === i.label);
  const withBeep = machines.filter((i) => i.beepAtMs !== undefined);
  const withoutBeep = items.filter((i) => i.beepAtMs === undefined);
  const beepErrors = withBeep.map((i) =>
    i.verdict.beepAtMs === undefined ? MISSED_BEEP_MS : Math.abs(i.verdict.beepAtMs - (i.beepAtMs ?? 0)),
  );
  const humanTimes = humans
    .filter((i) => i.verdict.result === 'human')
    .map((i) => i.verdict.decidedAtMs - (i.humanPhraseEndMs ?? 0));
  const machineTimes = machines.filter((i) => i.verdict.result === 'machine').map((i) => i.verdict.decidedAtMs);
  return {
    files: items.length,
    accuracy: rate(correct.length, items.length),
    humanAsMachineRate: rate(humans.filter((i) => i.verdict.result === 'machine').length, humans.length),
    machineAsHumanRate: rate(machines.filter((i) => i.verdict.result === 'human').length, machines.length),
    uncertainRate: rate(items.filter((i) => i.verdict.result === 'uncertain').length, items.length),
    humanDecisionMsP50: percentile(humanTimes, 50),
    humanDecisionMsP90: percentile(humanTimes, 90),
    machineDecisionMsP50: percentile(machineTimes, 50),
    beepErrorMsP90: percentile(beepErrors, 90),
    beepMissRate: withBeep.length === 0 ? null : rate(withBeep.filter((i) => i.verdict.beepAtMs === undefined).length, withBeep.length),
    falseBeepRate: rate(withoutBeep.filter((i) => i.verdict.beepAtMs !== undefined).length, withoutBeep.length),
  };
}
