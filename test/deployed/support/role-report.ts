import * as z from 'zod';
import type { DeployedWorld } from './deployed-world';

const statement = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.union([z.string(), z.array(z.string())]),
});
const document = z.object({ Statement: z.array(statement) });

/** Every `action resource` an identity's policies allow, resources named by `label`. */
function grantedChecks(policies: readonly { policy: unknown }[], label: (arn: string) => string): string[] {
  const pairs = policies.flatMap(({ policy }) =>
    document
      .parse(policy)
      .Statement.filter((allowed) => allowed.Effect === 'Allow')
      .flatMap((allowed) =>
        [allowed.Action].flat().flatMap((action) => [allowed.Resource].flat().map((arn) => `${action} ${label(arn)}`)),
      ),
  );
  return [...new Set(pairs)].sort();
}

/**
 * What the run showed about the roles, resources by logical id: the checks each function's calls needed, what its
 * role grants that the journey never needed (log and trace grants left out; the table key's grants are used by
 * DynamoDB itself, which moto does not model), the calls moto refused (conditional writes that lost, mostly), the
 * slowest call per service, and the start's timings. A reading
 * aid for least-privilege reviews, not an assertion: the journey does not take every path.
 */
export function roleReport(world: DeployedWorld) {
  const label = (arn: string) => world.deployment.values.logicalIdOf(arn) ?? arn;
  const used = world.proxy.checksByFunction(label);
  const grantedButNotUsed = Object.fromEntries(
    world.stack.functions.map((spec) => [
      spec.name,
      grantedChecks(world.deployment.identityOf(spec).policies, label).filter(
        (check) => !used[spec.name]?.includes(check) && !/^(logs|xray):/.test(check),
      ),
    ]),
  );
  const slowestCallMs = Object.fromEntries(
    ['dynamodb', 'kms', 'secretsmanager', 'events', 'sqs', 'sns'].map((service) => {
      const durations = world.proxy.calls
        .filter((call) => call.service === service)
        .map((call) => call.durationMs ?? 0);
      return [service, Math.max(0, ...durations)];
    }),
  );
  const refusedByMoto = world.proxy.calls
    .filter((call) => call.error)
    .map((call) => `${call.caller} ${call.service}:${call.operation} ${call.status} ${call.error}`);
  const checkedCalls = world.proxy.calls.filter((call) => call.kind === 'function').length;
  return { timings: world.timings, checkedCalls, slowestCallMs, refusedByMoto, used, grantedButNotUsed };
}
