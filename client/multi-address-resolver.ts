/**
 * A grpc-js name resolver for a fixed list of `host:port` addresses, where each host may be a name or an IP
 * literal: `luab-multi:///replica-a:50051,10.0.0.7:50051,[::1]:50051`.
 *
 * grpc-js's own `ipv4:`/`ipv6:` schemes take a list but only IP literals, and its `dns:` scheme takes names but
 * only one. This resolver runs one grpc-js `dns:` resolver per address (so names are looked up, IP literals pass
 * straight through, and re-resolution on connection loss works as for a single address) and reports the union
 * of their endpoints, over which the channel's round_robin policy spreads calls.
 *
 * @internal used by {@link LuabClient} for a list of addresses.
 */
import { experimental, status, type ChannelOptions } from '@grpc/grpc-js';

export const MULTI_ADDRESS_SCHEME = 'luab-multi';

type Endpoint = experimental.Endpoint;
type Result = experimental.StatusOr<Endpoint[]>;

/** The addresses of a target path (`a:1,b:2`), trimmed, empty ones dropped. */
export function splitAddresses(path: string): string[] {
  return path
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

class MultiAddressResolver implements experimental.Resolver {
  private readonly children: experimental.Resolver[];
  /** The latest result of each address's resolver; undefined until it has reported once. */
  private readonly results: (Result | undefined)[];

  constructor(
    target: { path: string },
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    const addresses = splitAddresses(target.path);
    this.results = addresses.map(() => undefined);
    this.children = addresses.map((address, index) =>
      experimental.createResolver(
        { scheme: 'dns', path: address },
        (endpoints) => {
          this.results[index] = endpoints;
          return this.report(addresses);
        },
        options,
      ),
    );
  }

  /**
   * Reports once every address has resolved once (so the first pick sees all replicas), and on every change
   * after that. One address failing to resolve leaves the others serving; only when none resolves does the
   * channel get an error, which names every address that failed.
   */
  private report(addresses: string[]): boolean {
    if (this.results.some((r) => r === undefined)) return true;
    const endpoints: Endpoint[] = [];
    const failures: string[] = [];
    this.results.forEach((result, index) => {
      if (result!.ok) endpoints.push(...result!.value);
      else failures.push(`${addresses[index]}: ${result!.error.details}`);
    });
    if (endpoints.length > 0) return this.listener(experimental.statusOrFromValue(endpoints), {}, null, '');
    this.listener(
      experimental.statusOrFromError({
        code: status.UNAVAILABLE,
        details: `no address could be resolved (${failures.join('; ')})`,
      }),
      {},
      null,
      '',
    );
    return true;
  }

  updateResolution(): void {
    for (const child of this.children) child.updateResolution();
  }

  destroy(): void {
    for (const child of this.children) child.destroy();
  }

  /** The authority (TLS server name, `:authority` header) is the first address's host, as for a single target. */
  static getDefaultAuthority(target: { path: string }): string {
    return splitAddresses(target.path)[0] ?? '';
  }
}

let registered = false;

/** Registers the `luab-multi` scheme with grpc-js (once per process). */
export function registerMultiAddressResolver(): void {
  if (registered) return;
  experimental.registerResolver(MULTI_ADDRESS_SCHEME, MultiAddressResolver);
  registered = true;
}
