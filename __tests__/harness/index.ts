// The test harness: real registries, token server, fixtures and fault injection on 127.0.0.1.
// Import from here: `import { startRegistry, makeCache } from '../harness/index.js'`.
export { startRegistry, type Registry, type RegistryAuth } from './registry.js';
export {
  startTokenServer,
  type Credentials,
  type TokenRequest,
  type TokenServer,
  type TokenServerOptions,
} from './token-server.js';
export {
  buildImage,
  buildMultiArchIndex,
  describeImage,
  FIXTURE_NAMES,
  makeCache,
  MT,
  pullToLayout,
  pushFixture,
  skopeoInspect,
  umociUnpack,
  type BuildImageOptions,
  type BuiltImage,
  type BuiltIndex,
  type Desc,
  type FixtureCache,
  type FixtureImage,
  type InspectResult,
  type MultiArchOptions,
  type PlatformImage,
} from './fixtures.js';
export {
  NO_DISTANCE,
  startFaultProxy,
  startStaticServer,
  type Distance,
  type Fault,
  type FaultProxy,
  type FaultRule,
  type ProxyRecord,
  type ProxyRequestInfo,
  type StaticRecord,
  type StaticServer,
} from './fault-proxy.js';
export { startDistanceRelay, type DistanceRelay } from './distance-relay.js';
export { pushBlob, pushManifest } from './push.js';
export { freePort, makeTempDir, removeTempDir, run, type RunResult } from './proc.js';
