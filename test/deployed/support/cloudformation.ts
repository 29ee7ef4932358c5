import * as z from 'zod';

/** moto's account, and the region the stack is "deployed" to. */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

const resourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
});
export const templateSchema = z.object({
  Resources: z.record(z.string(), resourceSchema),
  /** What `cdk deploy` prints, e.g. `WebhookUrl`, the value unresolved. */
  Outputs: z.record(z.string(), z.object({ Value: z.unknown() })).default({}),
});
export type CfnTemplate = z.infer<typeof templateSchema>;
export type CfnResource = z.infer<typeof resourceSchema>;

/** What CloudFormation would give for a resource: `Ref`, and the attributes `Fn::GetAtt` reads. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Names CloudFormation would make up for the resources no emulator holds (roles, log groups, functions): policies
 * name them, and a function's principal is its role's.
 */
function madeUpPhysical(stackName: string, logicalId: string, type: string): PhysicalResource | undefined {
  const name = `${stackName}-${logicalId}`;
  switch (type) {
    case 'AWS::IAM::Role':
      return { ref: name, attributes: { Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, RoleId: `AROA${logicalId}` } };
    case 'AWS::Logs::LogGroup':
      return { ref: name, attributes: { Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*` } };
    case 'AWS::Lambda::Function':
      return { ref: name, attributes: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` } };
    default:
      return undefined;
  }
}

/**
 * The template's values as CloudFormation would resolve them in this account and region, against the physical
 * resources the test created in moto (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`).
 * Anything else is an error, not a guess.
 */
export class CloudFormationValues {
  private readonly physical = new Map<string, PhysicalResource>();

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
  ) {}

  /** Records what a resource became in moto. */
  define(logicalId: string, physical: PhysicalResource): void {
    this.physical.set(logicalId, physical);
  }

  physicalOf(logicalId: string): PhysicalResource {
    const known = this.physical.get(logicalId);
    if (known) return known;
    const type = this.template.Resources[logicalId]?.Type;
    if (!type) throw new Error(`${logicalId} is not in the template`);
    const madeUp = madeUpPhysical(this.stackName, logicalId, type);
    if (!madeUp) throw new Error(`${logicalId} (${type}) was not created in moto, so it has no physical value`);
    this.physical.set(logicalId, madeUp);
    return madeUp;
  }

  /** The logical id whose physical resource this ARN (or an index of it) is, when the test knows it. */
  logicalIdOf(arn: string): string | undefined {
    for (const [id, physical] of this.physical) {
      const names = [physical.ref, ...Object.values(physical.attributes)];
      if (names.some((name) => arn === name || arn.startsWith(`${name}/index/`))) {
        return arn.includes('/index/') ? `${id}${arn.slice(arn.indexOf('/index/'))}` : id;
      }
    }
    return undefined;
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private intrinsic(name: string, args: unknown): unknown {
    switch (name) {
      case 'Ref': {
        const id = z.string().parse(args);
        return PSEUDO_PARAMETERS[id] ?? (id === 'AWS::StackName' ? this.stackName : this.physicalOf(id).ref);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = z.tuple([z.string(), z.string()]).parse(args);
        const value = this.physicalOf(id).attributes[attribute];
        if (value === undefined) throw new Error(`${id} has no attribute ${attribute} here`);
        return value;
      }
      case 'Fn::Join': {
        const [separator, parts] = z.tuple([z.string(), z.array(z.unknown())]).parse(args);
        return parts.map((part) => this.resolveString(part)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = z.tuple([z.coerce.number(), z.unknown()]).parse(args);
        const items = z.array(z.unknown()).parse(this.resolve(list));
        return items[index];
      }
      case 'Fn::Split': {
        const [separator, source] = z.tuple([z.string(), z.unknown()]).parse(args);
        return this.resolveString(source).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] =
          typeof args === 'string' ? [args, {}] : z.tuple([z.string(), z.record(z.string(), z.unknown())]).parse(args);
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, expression: string) => {
          if (expression in variables) return this.resolveString(variables[expression]);
          const [id = '', attribute] = expression.split('.');
          return attribute === undefined
            ? this.resolveString({ Ref: id })
            : this.resolveString({ 'Fn::GetAtt': [id, attribute] });
        });
      }
      default:
        throw new Error(`the test cannot resolve ${name}`);
    }
  }
}

/** The logical ids of a type, in template order. */
export function logicalIdsOf(template: CfnTemplate, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
}

/** The resource a logical id names, of the type expected. */
export function resourceOf(template: CfnTemplate, logicalId: string, type: string): CfnResource {
  const resource = template.Resources[logicalId];
  if (!resource || resource.Type !== type) throw new Error(`${logicalId} is not a ${type} in the template`);
  return resource;
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  const parsed = z
    .union([z.object({ Ref: z.string() }), z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) })])
    .safeParse(value);
  if (!parsed.success) return undefined;
  return 'Ref' in parsed.data ? parsed.data.Ref : parsed.data['Fn::GetAtt'][0];
}
