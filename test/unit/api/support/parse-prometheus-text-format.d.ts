// The package ships no types; tests only read family names and types.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): { name: string; type: string; help: string }[];
}
