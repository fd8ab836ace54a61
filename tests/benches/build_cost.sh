#!/usr/bin/env bash
# What build-time generation costs a service: the cold `cargo build` (dev profile) of a new
# service that depends on linq-api-ext, against the same service on a copy of the workspace where
# linq-api's generated code is checked in (no build.rs, no generator), and against a service on
# plain reqwest + serde + tokio + chrono. See BENCHMARKS.md.
#
#   tests/benches/build_cost.sh [RUNS]     # RUNS cold builds of each variant, interleaved (1)
#
# Each build gets its own fresh target directory; crates are taken from ~/.cargo (nothing is
# downloaded once they are there). The versions are those of the workspace's Cargo.lock.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

copy_workspace() { # DEST: the workspace's sources (no target/, no .git)
  mkdir -p "$1"
  tar -C "$root" --exclude=./target --exclude=./.git -cf - . | tar -C "$1" -xf -
}

# 1. As published: linq-api generates its client in build.rs.
copy_workspace "$work/generated"
# 2. Checked in: the reviewed snapshot *is* the generated code; linq-api includes it directly.
copy_workspace "$work/checked-in"
api="$work/checked-in/linq-api"
rm -f "$api/build.rs"
awk 'BEGIN{n=0} /^---$/{n++; next} n>=2' "$api/snapshots/generated-client.snap" >"$api/src/codegen.rs"
sed -i 's|include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"))|include_str!("codegen.rs")|;
        s|include!(concat!(env!("OUT_DIR"), "/codegen.rs"))|include!("codegen.rs")|' "$api/src/lib.rs"
sed -i '/^build = "build.rs"/d; /^\[build-dependencies\]/,/^\[/{/^\[build-dependencies\]/d; /^\[/!d}' \
  "$api/Cargo.toml"

service() { # DIR DEPENDENCIES MAIN
  mkdir -p "$1/src"
  cat >"$1/Cargo.toml" <<EOF
[package]
name = "service"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
$2
EOF
  printf '%s\n' "$3" >"$1/src/main.rs"
  cp "$root/Cargo.lock" "$1/Cargo.lock"
}

ext_main='fn main() {
    let builder = linq_api_ext::LinqClient::builder();
    println!("{}", std::mem::size_of_val(&builder));
}'
service "$work/service-generated" "linq-api-ext = { path = \"$work/generated/linq-api-ext\" }" "$ext_main"
service "$work/service-checked-in" "linq-api-ext = { path = \"$work/checked-in/linq-api-ext\" }" "$ext_main"
service "$work/service-plain" '
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", default-features = false, features = ["rt", "time"] }
chrono = { version = "0.4", default-features = false, features = ["serde", "clock", "std"] }' \
  'fn main() {
    let client = reqwest::Client::new();
    println!("{}", std::mem::size_of_val(&client));
}'

echo "| run | build.rs (generated) | checked in | plain reqwest + serde + tokio + chrono |"
echo "|---|---|---|---|"
for run in $(seq 1 "$runs"); do
  row="| $run |"
  for variant in generated checked-in plain; do
    target="$work/target-$variant-$run"
    start=$(date +%s.%N)
    (cd "$work/service-$variant" && CARGO_TARGET_DIR="$target" cargo build --quiet 2>"$work/log")
    end=$(date +%s.%N)
    row="$row $(printf '%.1f s' "$(echo "$end - $start" | bc)") |"
    rm -rf "$target"
  done
  echo "$row"
done
