/**
 * Label selectors choose devices everywhere a target is chosen: `site=oslo,role!=gateway`.
 * The grammar follows Kubernetes' set- and equality-based selectors so that operators can reuse
 * what they know.
 */

/** One requirement of a selector; all requirements of a selector must hold. */
export interface LabelRequirement {
  key: string;
  operator: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists';
  values: string[];
}

/** A label key: letters, digits and `._/-`, starting with a letter or digit, at most 63 characters. */
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$';
/** A label value: letters, digits and `._:@/-`, at most 63 characters; may be empty. */
export const LABEL_VALUE_PATTERN = '^[A-Za-z0-9._:@/-]{0,63}$';

const labelKey = new RegExp(LABEL_KEY_PATTERN);
const labelValue = new RegExp(LABEL_VALUE_PATTERN);

/** Thrown for a selector that does not parse; the message names the offending part. */
export class SelectorSyntaxError extends Error {
  constructor(message: string, readonly selector: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

/** Returns why `key` is not a valid label key, or null when it is. */
export function labelKeyProblem(key: string): string | null {
  return labelKey.test(key)
    ? null
    : `label key "${key}" must be 1-63 letters, digits or ._/- and start with a letter or digit`;
}

/** Returns why `value` is not a valid label value, or null when it is. */
export function labelValueProblem(value: string): string | null {
  return labelValue.test(value) ? null : `label value "${value}" must be at most 63 letters, digits or ._:@/-`;
}

/**
 * Parses a selector such as `site=oslo,role!=gateway,tier in (a,b),!retired`.
 * An empty string selects everything (no requirements).
 */
export function parseSelector(selector: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const part of splitTopLevel(selector)) {
    const requirement = parseRequirement(part.trim(), selector);
    requirements.push(requirement);
  }
  return requirements;
}

function splitTopLevel(selector: string): string[] {
  if (selector.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < selector.length; index++) {
    const char = selector[index];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(selector.slice(start, index));
      start = index + 1;
    }
    if (depth < 0 || depth > 1) throw new SelectorSyntaxError(`unbalanced parentheses in selector "${selector}"`, selector);
  }
  if (depth !== 0) throw new SelectorSyntaxError(`unbalanced parentheses in selector "${selector}"`, selector);
  parts.push(selector.slice(start));
  return parts;
}

const setPattern = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const equalityPattern = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/;

function parseRequirement(part: string, selector: string): LabelRequirement {
  if (part === '') throw new SelectorSyntaxError(`empty requirement in selector "${selector}"`, selector);
  const set = setPattern.exec(part);
  if (set) {
    const [, key = '', keyword, list = ''] = set;
    const values = list.split(',').map((value) => value.trim());
    if (values.length === 0 || values.some((value) => value === '')) {
      throw new SelectorSyntaxError(`"${part}": the list in parentheses needs one or more values`, selector);
    }
    values.forEach((value) => checkValue(value, part, selector));
    checkKey(key, part, selector);
    return { key, operator: keyword === 'in' ? 'in' : 'notin', values };
  }
  const equality = equalityPattern.exec(part);
  if (equality) {
    const [, key = '', operator, value = ''] = equality;
    checkKey(key, part, selector);
    checkValue(value.trim(), part, selector);
    return { key, operator: operator === '!=' ? 'neq' : 'eq', values: [value.trim()] };
  }
  if (part.startsWith('!')) {
    const key = part.slice(1).trim();
    checkKey(key, part, selector);
    return { key, operator: 'notexists', values: [] };
  }
  checkKey(part, part, selector);
  return { key: part, operator: 'exists', values: [] };
}

function checkKey(key: string, part: string, selector: string): void {
  const problem = labelKeyProblem(key);
  if (problem) throw new SelectorSyntaxError(`"${part}": ${problem}`, selector);
}

function checkValue(value: string, part: string, selector: string): void {
  const problem = labelValueProblem(value);
  if (problem) throw new SelectorSyntaxError(`"${part}": ${problem}`, selector);
}

/** True when `labels` satisfy every requirement. */
export function matchesSelector(labels: Record<string, string>, requirements: readonly LabelRequirement[]): boolean {
  return requirements.every((requirement) => matchesRequirement(labels, requirement));
}

function matchesRequirement(labels: Record<string, string>, { key, operator, values }: LabelRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  const value = labels[key];
  switch (operator) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'eq':
    case 'in':
      return has && values.includes(value as string);
    case 'neq':
    case 'notin':
      return !has || !values.includes(value as string);
  }
}

/** Formats requirements back into the canonical selector text. */
export function formatSelector(requirements: readonly LabelRequirement[]): string {
  return requirements
    .map(({ key, operator, values }) => {
      switch (operator) {
        case 'eq':
          return `${key}=${values[0]}`;
        case 'neq':
          return `${key}!=${values[0]}`;
        case 'in':
          return `${key} in (${values.join(',')})`;
        case 'notin':
          return `${key} notin (${values.join(',')})`;
        case 'exists':
          return key;
        case 'notexists':
          return `!${key}`;
      }
    })
    .join(',');
}
