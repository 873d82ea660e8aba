declare module 'cornerstone-core' {
  const cornerstone: unknown;
  export default cornerstone;
}
