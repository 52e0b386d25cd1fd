/** The checks of the profile form, run as it is typed: the server checks again on save. */
import { PROFILE_NAME_PATTERN } from '@flotilla/protocol';

const NAME = new RegExp(PROFILE_NAME_PATTERN);
const PRIORITY_LIMIT = 1_000_000;

/** What is wrong with a profile name, or null. */
export function profileNameProblem(name: string): string | null {
  if (name === '') return 'Give the profile a name.';
  return NAME.test(name) ? null : 'Use 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit.';
}

/** The priority typed, or what is wrong with it. */
export function readPriority(text: string): { priority: number; problem: null } | { priority: null; problem: string } {
  const priority = Number(text);
  if (text.trim() === '' || !Number.isInteger(priority)) return { priority: null, problem: 'A whole number; higher wins.' };
  if (Math.abs(priority) > PRIORITY_LIMIT) return { priority: null, problem: `Between -${PRIORITY_LIMIT} and ${PRIORITY_LIMIT}.` };
  return { priority, problem: null };
}
