// "90s", "10m", "24h", "2d" ↔ milliseconds. The contract writes retry delays this way.
const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const pattern = /^(\d{1,6})(s|m|h|d)$/;

export function parseDuration(text: string): number | null {
  const m = pattern.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * units[m[2] as keyof typeof units];
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== null;
}
