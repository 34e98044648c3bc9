// The registry of kinds, in dependency order: a kind comes after every kind it depends on.
//
//     create/update  ──►  Key, Keystore   (independent; a JWK made from them would follow)
//     delete         ◄──  in reverse
//
// Everything kind-specific is in the descriptors; the core looks them up here.
import type { Kind } from '../model.js';
import { keyKind } from './key.js';
import { keystoreKind } from './keystore.js';
import type { FieldSpec, KindDescriptor } from './types.js';

export type { FieldSpec, KindDescriptor, MaterialField } from './types.js';

const registry: KindDescriptor[] = [keyKind, keystoreKind];
let byName = new Map(registry.map((d) => [d.kind, d]));

/** Every registered kind, in dependency order. */
export function allKinds(): readonly KindDescriptor[] {
  return registry;
}

/** The names of the registered kinds, in dependency order. */
export function kindNames(): string[] {
  return registry.map((d) => d.kind);
}

/** The descriptor of a kind; throws for a kind nobody registered (a bug, not a user error). */
export function descriptorOf(kind: Kind): KindDescriptor {
  const d = byName.get(kind);
  if (!d) throw new Error(`unknown kind ${kind}: no descriptor is registered for it`);
  return d;
}

/** True when `kind` names a registered kind. */
export function isKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && byName.has(kind);
}

/** The position of a kind in dependency order (creates go forward, deletes backward). */
export function kindRank(kind: Kind): number {
  return registry.indexOf(descriptorOf(kind));
}

/**
 * Adds a kind (an extension, or a test's kind) after the kinds it depends on. Returns a function
 * that removes it again. The core needs no other change to manage it.
 */
export function registerKind(descriptor: KindDescriptor): () => void {
  if (byName.has(descriptor.kind)) throw new Error(`kind ${descriptor.kind} is already registered`);
  for (const dep of descriptor.dependsOn) {
    if (!byName.has(dep)) throw new Error(`kind ${descriptor.kind} depends on ${dep}, which is not registered`);
  }
  // A reference orders creates and deletes only through dependsOn: a target left out of it would
  // let a reference be created before its target, or its target deleted first.
  for (const field of [...descriptor.resourceFields, ...descriptor.environmentFields]) {
    if (field.references === undefined) continue;
    if (field.role !== 'plain') throw new Error(`kind ${descriptor.kind}: reference field ${field.name} must be plain`);
    if (!descriptor.dependsOn.includes(field.references))
      throw new Error(
        `kind ${descriptor.kind}: field ${field.name} references ${field.references}, which dependsOn must list`,
      );
  }
  registry.push(descriptor);
  byName = new Map(registry.map((d) => [d.kind, d]));
  return () => {
    const i = registry.indexOf(descriptor);
    if (i >= 0) registry.splice(i, 1);
    byName = new Map(registry.map((d) => [d.kind, d]));
  };
}

/** The secret fields of a kind's environments (binary and text). */
export function secretFieldsOf(d: KindDescriptor): FieldSpec[] {
  return d.environmentFields.filter((f) => f.role !== 'plain');
}

/** Every secret field name of every kind, for messages that must not echo a value. */
export function allSecretFieldNames(): Set<string> {
  return new Set(registry.flatMap((d) => secretFieldsOf(d).map((f) => f.name)));
}

/** True when the field is managed in the given form. */
export function inForm(field: FieldSpec, form: 'legacy' | 'current'): boolean {
  return field.forms === undefined || field.forms.includes(form);
}
