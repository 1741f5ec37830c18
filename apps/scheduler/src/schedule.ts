/**
 * Agenda's repeat for a period in seconds. Periods that divide a minute, an hour or a day become cron
 * expressions (with a seconds field), so runs start on bucket boundaries instead of drifting by each
 * run's delay; any other period repeats every so many milliseconds.
 */
export function repeatEvery(seconds: number): string | number {
  if (seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
  if (seconds % 60 === 0 && seconds < 3_600 && 3_600 % seconds === 0) return `0 */${seconds / 60} * * * *`;
  if (seconds % 3_600 === 0 && seconds < 86_400 && 86_400 % seconds === 0) return `0 0 */${seconds / 3_600} * * *`;
  if (seconds === 86_400) return "0 0 0 * * *";
  return seconds * 1_000;
}

/** The start (epoch ms) of the period of `seconds` that `time` falls in. */
export const bucketOf = (time: number, seconds: number) => Math.floor(time / (seconds * 1_000)) * seconds * 1_000;
