package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string
		wantErr bool
	}{
		{"ordered by number, not name", fstest.MapFS{
			"m/0010_ten.sql": {}, "m/0002_two.sql": {}, "m/1_one.sql": {},
			"m/0003_three.sql": {}, "m/0004_x.sql": {}, "m/0005_x.sql": {}, "m/0006_x.sql": {},
			"m/0007_x.sql": {}, "m/0008_x.sql": {}, "m/0009_x.sql": {}, "m/README.md": {},
		}, []string{"1_one.sql", "0002_two.sql", "0003_three.sql", "0004_x.sql", "0005_x.sql", "0006_x.sql",
			"0007_x.sql", "0008_x.sql", "0009_x.sql", "0010_ten.sql"}, false},
		{"gap", fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, nil, true},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": {}, "m/01_b.sql": {}}, nil, true},
		{"no number", fstest.MapFS{"m/init.sql": {}}, nil, true},
		{"zero", fstest.MapFS{"m/0000_init.sql": {}}, nil, true},
		{"no directory", fstest.MapFS{}, nil, true},
	}
	for _, tc := range tests {
		ms, err := Load(tc.files, "m")
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if len(ms) != len(tc.want) {
			t.Errorf("%s: %d migrations, want %d", tc.name, len(ms), len(tc.want))
			continue
		}
		for i, m := range ms {
			if m.Name != tc.want[i] || m.Version != i+1 {
				t.Errorf("%s: migration %d = %s v%d, want %s v%d", tc.name, i, m.Name, m.Version, tc.want[i], i+1)
			}
		}
		if !tc.wantErr && Latest(ms) != len(tc.want) {
			t.Errorf("%s: Latest = %d", tc.name, Latest(ms))
		}
	}
}

func TestPending(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}}
	tests := []struct {
		current int
		want    int
		wantErr string
	}{
		{0, 2, ""},
		{1, 1, ""},
		{2, 0, ""},
		{3, 0, "the database's schema version 3 is newer than this binary's 2: upgrade pbregistry"},
	}
	for _, tt := range tests {
		got, err := Pending(ms, tt.current)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Pending(%d) err = %v, want %q", tt.current, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tt.want {
			t.Errorf("Pending(%d) = %d migrations, %v; want %d", tt.current, len(got), err, tt.want)
		}
	}
}
