package server

import "github.com/pbregistry/pbregistry/submodule"

// StacksConfig is the stacks: section of registryd's configuration: the
// per-stack git repositories published on every accepted push and served
// at /git/<stack>.git. Its keys, validated as the file is parsed:
//
//	stacks:
//	  dir: /var/lib/pbregistry/git   # default: <data-dir>/git
//	  public_url: https://registry.acme.com
//	  poll_interval: 2s
//	  repack_every: 100
//	  repos:
//	    - name: go
//	      modules: ["acme/**"]
//	      packages: ["acme.**"]
//	      prefix: ""
//	      kind: protos                 # or dbt (with dialect: postgres, duckdb, bigquery, snowflake)
//	      files: {buf.gen.yaml: "version: v2\n"}
//	      mirrors:
//	        - url: https://github.com/acme/protos-go.git
//	          username: x-access-token
//	          password_env: GITHUB_TOKEN   # or password_file
//
// See submodule.Config.
type StacksConfig = submodule.Config
