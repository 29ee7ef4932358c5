/** An UpdateItem expression that sets the defined attributes and removes the `undefined` ones. */
export interface UpdateParts {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

export function buildUpdate(
  attributes: Record<string, unknown>,
  extraValues: Record<string, unknown> = {},
): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...extraValues };
  const set: string[] = [];
  const remove: string[] = [];
  Object.entries(attributes).forEach(([name, value], index) => {
    names[`#a${index}`] = name;
    if (value === undefined) {
      remove.push(`#a${index}`);
    } else {
      values[`:a${index}`] = value;
      set.push(`#a${index} = :a${index}`);
    }
  });
  const expression = [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return { UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}
