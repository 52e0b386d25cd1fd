/** Labels as people type them in forms: one `key=value` per line. */
import { labelKeyProblem, labelValueProblem, parseSelector, type Labels } from '@flotilla/protocol';

/** The labels parsed from text, or the problems that stop it from parsing. */
export type ParsedLabels = { labels: Labels; problems: [] } | { labels: null; problems: string[] };

/**
 * Parses `key=value` lines (blank lines are skipped, spaces around key and value trimmed).
 * Every problem is reported at once, with its line number, so a form can list them together.
 */
export function parseLabelLines(text: string): ParsedLabels {
  const labels: Labels = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${index + 1}`;
    const equals = line.indexOf('=');
    if (equals < 0) {
      problems.push(`${where}: write labels as key=value`);
      return;
    }
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) problems.push(`${where}: ${problem}`);
    else if (key in labels) problems.push(`${where}: label "${key}" is given twice`);
    else labels[key] = value;
  });
  return problems.length > 0 ? { labels: null, problems } : { labels, problems: [] };
}

/** Checks one label typed into an add-label form; returns the problem or null. */
export function labelProblem(key: string, value: string): string | null {
  return labelKeyProblem(key) ?? labelValueProblem(value);
}

/** Labels sorted by key, as `[key, value]` pairs for display. */
export function sortedLabels(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

/** What is wrong with a label selector typed into a form, or null; an empty one selects every device. */
export function selectorProblem(selector: string): string | null {
  try {
    parseSelector(selector);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
