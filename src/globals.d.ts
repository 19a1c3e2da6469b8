// Injected by esbuild (build.mjs) from package.json, so the CLI and the extension report one version.
declare const DEEPSEEK_DEPLOY_VERSION: string;
