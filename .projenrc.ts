import { awscdk, javascript } from 'projen';

/**
 * Runtime code of the extension. It is bundled by esbuild into the layer asset at build time,
 * so for the npm package these are build-time (dev) dependencies: the published construct
 * library depends on nothing but aws-cdk-lib and constructs.
 */
const extensionBundledDeps = [
  'koa@^3',
  '@koa/router@^15',
  'raw-body@^3',
  'valibot@^1',
  'aws4@^1',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/resources',
  '@opentelemetry/core',
  '@opentelemetry/api',
  '@opentelemetry/api-logs',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-logs',
];

/** The aws-cdk-lib the library declares as its minimum (peer dependency), tested by default. */
const CDK_MINIMUM = '2.189.1';

/** What both jest projects share. */
const jestProject = {
  // Tests run against the TypeScript sources, never stale jsii output next to them.
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'jsx', 'json', 'node'],
  snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.ts'],
  // Builds the layer from extension-src/ so that every test run sees the current sources
  // (a project's globalSetup runs when one of its tests does; the second run finds it built).
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  // The run must leave the temp folder as it found it (test/setup/temp-check.ts).
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testMatch: [
    '<rootDir>/@(lib|test)/**/*(*.)@(spec|test).ts?(x)',
    '<rootDir>/@(lib|test)/**/__tests__/**/*.ts?(x)',
    '<rootDir>/@(projenrc)/**/*(*.)@(spec|test).ts?(x)',
    '<rootDir>/@(projenrc)/**/__tests__/**/*.ts?(x)',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  clearMocks: true,
  testTimeout: 60_000,
  transform: { '^.+\\.[t]sx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
};

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-telemetry-extension',
  description:
    'An AWS CDK construct that builds a Lambda extension layer which receives Telemetry API events and exports them as OTLP, JSON over HTTP or stdout.',
  author: 'cdk-telemetry-extension maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/example/cdk-telemetry-extension.git',
  keywords: ['cdk', 'lambda', 'extension', 'telemetry', 'opentelemetry', 'otlp'],
  license: 'Apache-2.0',
  stability: 'experimental',

  cdkVersion: CDK_MINIMUM,
  jsiiVersion: '~6.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,
  release: false,
  depsUpgrade: false,

  srcdir: 'lib',
  testdir: 'test',

  publishToPypi: {
    distName: 'cdk-telemetry-extension',
    module: 'cdk_telemetry_extension',
  },

  devDeps: [
    ...extensionBundledDeps,
    '@types/koa',
    '@types/koa__router',
    '@types/aws4',
    'esbuild',
    'tsx',
    'protobufjs',
    // protobufjs's 64-bit integers, used directly by the OTLP receiver (exact nanosecond times).
    'long',
    // The official OTLP .proto files (its build/protos), for decoding in tests independently of the encoder.
    '@opentelemetry/otlp-grpc-exporter-base@0.38.0',
    'fast-check',
    'cdk-nag@^2',
    // The function side of the tests and the demo: the real OpenTelemetry JS SDK and its OTLP/HTTP
    // protobuf exporters, configured by the environment attachTo sets (never bundled in the layer).
    '@opentelemetry/sdk-trace-node@2.12.1',
    '@opentelemetry/exporter-trace-otlp-proto@0.223.1',
    '@opentelemetry/exporter-logs-otlp-proto@0.223.1',
    '@opentelemetry/exporter-metrics-otlp-proto@0.223.0',
    // The newest aws-cdk-lib, under another name: the construct tests run against it too
    // (jest moduleNameMapper), next to the declared minimum.
    'aws-cdk-lib-latest@npm:aws-cdk-lib@^2.276.0',
    // AWS's own SigV4 signer, only to verify the extension's signatures in tests (the extension
    // signs with aws4); an independent implementation recomputes every signature.
    '@smithy/signature-v4',
    '@aws-crypto/sha256-js',
    'typescript@~6.0.0',
    '@types/node@^20',
  ],

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    extraCliOptions: ['--json', '--outputFile=test-reports/jest-results.json'],
    jestConfig: {
      testTimeout: 60_000,
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      // Two projects in one run (one test-reports/jest-results.json): every test against the
      // declared minimum aws-cdk-lib, and the construct tests plus a synth of the example app
      // against the newest one (the npm alias aws-cdk-lib-latest).
      projects: [
        {
          ...jestProject,
          displayName: `aws-cdk-lib ${CDK_MINIMUM} (minimum)`,
          // The newest aws-cdk-lib's own checks (its validation report) run in the other project only.
          testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/construct/latest-cdk/'],
        },
        {
          ...jestProject,
          displayName: 'aws-cdk-lib latest',
          testMatch: ['<rootDir>/test/construct/**/*.test.ts'],
          // Snapshots are recorded against the minimum; the latest project checks the same
          // templates through assertions, not a second set of snapshots.
          testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/construct/snapshot.test.ts'],
          moduleNameMapper: {
            '^aws-cdk-lib$': '<rootDir>/node_modules/aws-cdk-lib-latest',
            '^aws-cdk-lib/(.*)$': '<rootDir>/node_modules/aws-cdk-lib-latest/$1',
          },
        },
      ],
    },
  },

});

// The layer folder is a build output: ignored by git, shipped in the npm package.
// (Added after construction: projen drops patterns under /lib/ that it un-ignores itself.)
project.gitignore.exclude('/lib/layer/', '/.tmp/', 'cdk.out/', '/test-reports/', '/.jsii.tabl.json');
for (const pattern of ['/extension-src/', '/.ci/', '/.tmp/', '/rosetta/', '/.jsii.tabl.json', 'cdk.out/', '*.ts', '!*.d.ts', '!/lib/layer/**']) {
  project.addPackageIgnore(pattern);
}

// `npm ci` fails on this registry without this pin (a transitive resolver of eslint-import).
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// jsii on the Node 20 machines this project runs on.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// The extension has its own tsconfig (it is never seen by jsii): strict, Node 20, bundler resolution.
new javascript.TypescriptConfig(project, {
  fileName: 'extension-src/tsconfig.json',
  // Only the contract is shared with the construct: no CDK-side file may reach the extension.
  include: ['**/*.ts', '../lib/config/contract.ts'],
  compilerOptions: {
    rootDir: '..',
    target: 'ES2022',
    module: 'preserve',
    moduleResolution: javascript.TypeScriptModuleResolution.BUNDLER,
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    resolveJsonModule: true,
  },
});

// The extension is linted too; its dependencies are bundled, so they are dev dependencies.
project.eslint?.addLintPattern('extension-src');
project.eslint?.addOverride({
  files: ['extension-src/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: false }] },
});

// Bundle the extension into the layer folder before jsii compiles the library.
project.preCompileTask.exec('tsx projenrc/bundle-extension.ts');
project.preCompileTask.exec('tsc -p extension-src/tsconfig.json');

// The demo (README's main command): synthesizes the example app, runs it in the local Lambda
// emulator and shows what the extension exported to a local OTLP receiver.
project.addTask('demo', {
  description: 'Run the example function with the telemetry layer in the local Lambda emulator',
  steps: [{ spawn: 'pre-compile' }, { exec: 'tsx test/demo/demo.ts' }],
});

// Benchmarks print figures; they never fail on timing.
project.addTask('bench', {
  description: 'Benchmark the built layer against floors measured in the same run (cold start, overhead, throughput, memory, size, shutdown)',
  steps: [{ spawn: 'pre-compile' }, { exec: 'tsx test/bench/run.ts', receiveArgs: true }],
});

// The long soak; CI runs a short variant inside the jest suite.
project.addTask('soak', {
  description: 'Soak the layer in the emulator: 10,000 invocations with function logs, RSS and loss checked',
  steps: [{ spawn: 'pre-compile' }, { exec: 'tsx test/reliability/soak.ts', receiveArgs: true }],
});

// The tests need Python build tools (the wheel test) and the official OTLP protobuf classes (the
// Python function of the e2e tests): `npx projen test` installs them itself, into whatever python3
// is first on the PATH, so the README's test command works on a fresh machine.
project.addTask('install:python', {
  description: 'Install the Python packages the tests need (test/python/requirements.txt)',
  exec: 'python3 -c "import build, wheel, setuptools, opentelemetry.proto" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check --retries 0 -r test/python/requirements.txt',
});
project.testTask.prependSpawn(project.tasks.tryFind('install:python')!);

// Python bindings, built offline: pacmak generates the code only, then `python -m build` builds
// wheel + sdist from the local pip mirror (the stock pacmak step wants PyPI, unreachable here).
// Under CI=true projen's `package` runs only package:js, so .ci/run calls this task explicitly.
// The docs' TypeScript examples are translated by jsii-rosetta (which compiles each against the
// fixtures in rosetta/ and fails on any that does not) into the tablet pacmak writes into the
// Python docstrings.
project.tasks.tryFind('package:python')?.reset('jsii-rosetta extract --compile --fail .jsii');
project.tasks.tryFind('package:python')?.exec('jsii-pacmak -v --target python --code-only --rosetta-tablet .jsii.tabl.json');
project.tasks
  .tryFind('package:python')
  ?.exec('python3 -m build --no-isolation --skip-dependency-check --outdir . .', { cwd: 'dist/python' });

project.synth();
