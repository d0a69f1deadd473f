package input

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "proto", want: Ref{Path: "proto"}},
		{in: "a/b.proto", want: Ref{Path: "a/b.proto", Format: FormatProtoFile}},
		{in: "x.binpb", want: Ref{Path: "x.binpb", Format: FormatBinpb}},
		{in: "x.bin", want: Ref{Path: "x.bin", Format: FormatBinpb}},
		{in: "x.pb", want: Ref{Path: "x.pb", Format: FormatBinpb}},
		{in: "x.binpb.gz", want: Ref{Path: "x.binpb.gz", Format: FormatBinpb, Gzip: true}},
		{in: "x.json", want: Ref{Path: "x.json", Format: FormatJSON}},
		{in: "-", want: Ref{Path: "-", Format: FormatBinpb}},
		{in: "-#format=json", want: Ref{Path: "-", Format: FormatJSON}},
		{in: "x.dat#format=binpb,compression=gzip", want: Ref{Path: "x.dat", Format: FormatBinpb, Gzip: true}},
		{in: ".git#branch=main,subdir=proto", want: Ref{Path: ".git", Format: FormatGit, Branch: "main", Subdir: "proto"}},
		{in: "file:///r/.git#tag=v1", want: Ref{Path: "/r/.git", Format: FormatGit, Tag: "v1"}},
		{in: "repo#format=git,ref=HEAD~1,depth=1", want: Ref{Path: "repo", Format: FormatGit, GitRef: "HEAD~1"}},
		{in: "dir.proto#format=dir", want: Ref{Path: "dir.proto", Format: FormatDir}},
		{in: "", wantErr: "empty path"},
		{in: "x#nope=1", wantErr: `unknown option "nope"`},
		{in: "x#format", wantErr: `is not key=value`},
		{in: "x#format=txtpb", wantErr: `unsupported format "txtpb"`},
		{in: "x.yaml", wantErr: "text and YAML images are not supported"},
		{in: "x.tar.gz", wantErr: "archives are not supported"},
		{in: "proto#branch=main", wantErr: "only valid for git inputs"},
		{in: ".git#tag=v1,ref=abc", wantErr: "tag cannot be combined"},
		{in: "p.proto#compression=gzip", wantErr: "compression is only valid for images"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRef(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		tt.want.Raw = tt.in
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
