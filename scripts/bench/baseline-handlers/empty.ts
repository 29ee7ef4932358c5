/** The empty handler: what Node and the bundle format cost before any code of ours, for information. */
export const handler = async () => ({ statusCode: 200 });
