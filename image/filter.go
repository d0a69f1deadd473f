package image

// Restrict returns the image whose input files are the input files of i for
// which keep returns true. Files that are dropped but imported, directly or
// not, by a kept file stay, as imports; the others are removed. This is how
// buf applies --path to an image.
func (i *Image) Restrict(keep func(path string) bool) *Image {
	needed := make(map[string]bool)
	var visit func(f *File)
	visit = func(f *File) {
		if needed[f.Path()] {
			return
		}
		needed[f.Path()] = true
		imports := f.Descriptor.Imports()
		for j := 0; j < imports.Len(); j++ {
			if dep := i.File(imports.Get(j).Path()); dep != nil {
				visit(dep)
			}
		}
	}
	kept := make(map[string]bool)
	for _, f := range i.files {
		if !f.IsImport && keep(f.Path()) {
			kept[f.Path()] = true
			visit(f)
		}
	}
	files := make([]*File, 0, len(needed))
	for _, f := range i.files {
		if !needed[f.Path()] {
			continue
		}
		if kept[f.Path()] || f.IsImport {
			files = append(files, f)
			continue
		}
		imported := *f
		imported.IsImport = true
		files = append(files, &imported)
	}
	out, _ := New(files) // a subset of a valid image is valid
	return out
}
