package submodule

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/registry"
)

// dbtHistoryBounds bound the history a dbt package is generated with, as
// the registry's GetDbtProject by default: the newest earlier versions
// first, older ones beyond either bound left out.
var dbtHistoryBounds = lakehouse.HistoryBounds{Versions: lakehouse.DefaultHistoryVersions, Bytes: lakehouse.DefaultHistoryBytes}

// DbtDir returns the directory of module's dbt package in a dbt stack.
func DbtDir(s *Stack, module string) string {
	if s.Prefix != "" {
		return s.Prefix + "/" + module
	}
	return module
}

// addDbt adds the dbt package of module version m to t, under
// DbtDir, and returns how many files. A version the generator cannot
// make a package of (no subjects, or none that fit) adds none, and the
// module is left out of the publication: that is the module's content,
// not a failure to retry.
func (p *Publisher) addDbt(ctx context.Context, t Tree, s *Stack, m LockModule) (int, error) {
	raw, err := p.store.GetConfig(ctx, m.Name, m.Version)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", registry.ConfigFileName, err)
	}
	if len(raw) == 0 {
		return 0, nil
	}
	cfg, err := config.Parse(registry.ConfigFileName, raw)
	if err != nil {
		return 0, fmt.Errorf("parse the stored %s: %w", registry.ConfigFileName, err)
	}
	if len(cfg.Subjects) == 0 {
		return 0, nil
	}
	latest, err := p.index(ctx, m.Name, m.Version)
	if err != nil {
		return 0, err
	}
	history, err := p.dbtHistory(ctx, m.Name, m.Version-1)
	if err != nil {
		return 0, err
	}
	dialect, err := dbt.ParseDialect(s.Dialect)
	if err != nil {
		return 0, err
	}
	proj, err := dbt.NewProject(cfg, latest, history, dialect, dbt.ModuleOptions{Version: strconv.FormatInt(m.Version, 10)})
	if err == nil {
		var files []dbt.File
		if files, err = dbt.Generate(*proj); err == nil {
			dir := DbtDir(s, m.Name)
			for _, f := range files {
				if err := t.Add(dir+"/"+f.Path, f.Data); err != nil {
					return 0, err
				}
			}
			return len(files), nil
		}
	}
	p.logger.Warn("no dbt package for this module version; it is left out of the stack", "stack", s.Name, "module", m.Name, "version", m.Version, "error", err)
	return 0, nil
}

// index reads and indexes a version's descriptor set.
func (p *Publisher) index(ctx context.Context, module string, n int64) (*image.Index, error) {
	data, err := p.store.GetDescriptorSet(ctx, module, n)
	if err != nil {
		return nil, fmt.Errorf("read version %d's descriptor set: %w", n, err)
	}
	img, err := image.DecodeWithLimits(data, image.StoredLimits)
	if err != nil {
		return nil, fmt.Errorf("decode version %d's descriptor set: %w", n, err)
	}
	return image.NewIndex(img), nil
}

// dbtHistory returns the images of versions 1..last of module, oldest
// first, within dbtHistoryBounds (newest kept).
func (p *Publisher) dbtHistory(ctx context.Context, module string, last int64) ([]*image.Index, error) {
	out, _, _, err := lakehouse.ReadHistory(1, last, dbtHistoryBounds, func(n int64) ([]byte, error) {
		data, err := p.store.GetDescriptorSet(ctx, module, n)
		if err != nil {
			return nil, fmt.Errorf("read version %d's descriptor set: %w", n, err)
		}
		return data, nil
	}, func(n int64, data []byte) (*image.Index, error) {
		img, err := image.DecodeWithLimits(data, image.StoredLimits)
		if err != nil {
			return nil, fmt.Errorf("decode version %d's descriptor set: %w", n, err)
		}
		return image.NewIndex(img), nil
	})
	return out, err
}
