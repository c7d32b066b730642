// Message templates: "Hi {{first_name}}". Variables come from the contact's CSV columns; a template
// may only use variables that exist (checked at upload), so rendering never meets a missing one
// except through data written before that check, which renders as an empty string. Texts that are
// spoken are rendered; the two-way agent's instructions are not (contact data must not become
// instructions): it gets templateData, the values apart, to pass to its model as data.
const variablePattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names used by a template, in first-use order, without duplicates. */
export function templateVariables(template: string | null | undefined): string[] {
  if (!template) return [];
  const seen = new Set<string>();
  for (const m of template.matchAll(variablePattern)) seen.add(m[1]!);
  return [...seen];
}

/** Own properties only: `{{constructor}}` must not reach Object.prototype and paste function source. */
export function templateValue(vars: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(vars, name) ? vars[name] : undefined;
}

export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(variablePattern, (_all, name: string) => templateValue(vars, name) ?? '');
}

/** The contact's values for the variables a template uses, by name; a missing one is empty, as when rendered. */
export function templateData(
  template: string | null | undefined,
  vars: Readonly<Record<string, string>>,
): Record<string, string> {
  // No prototype: a variable named __proto__ is a value like any other.
  const data = Object.create(null) as Record<string, string>;
  for (const name of templateVariables(template)) data[name] = templateValue(vars, name) ?? '';
  return data;
}
