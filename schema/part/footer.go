package part

import (
	"fmt"
	"math"
)

// footer is what a reader of parts needs of a file's metadata
// (parquet.thrift's FileMetaData; field ids in comments).
type footer struct {
	schema  []schemaElem
	numRows int64
	groups  []rowGroup
	kv      map[string]string
	// crcAt is where the value of metadataCRCKey starts in the
	// footer's bytes, -1 without one.
	crcAt     int
	createdBy string
}

type schemaElem struct {
	name     string
	typ, rep int64 // -1 when absent
	children int64
}

type rowGroup struct {
	numRows int64
	chunks  []chunkMeta
}

// chunkMeta is a column chunk's metadata (ColumnMetaData).
type chunkMeta struct {
	typ        int64
	path       []string
	codec      int64
	numValues  int64
	size       int64 // total_compressed_size
	dataOffset int64
	dictOffset int64
}

// readFooter decodes a footer whose schema must have nSchema elements
// and whose row groups nLeaves column chunks each.
func readFooter(b []byte, nSchema, nLeaves int) (*footer, error) {
	r := &thriftReader{b: b}
	f := &footer{kv: map[string]string{}, crcAt: -1}
	err := r.fields(func(id int16, typ byte) error {
		switch id {
		case 2:
			return r.schema(typ, f, nSchema)
		case 3:
			n, err := r.integer(typ, math.MaxInt64)
			f.numRows = n
			return err
		case 4:
			return r.rowGroups(typ, f, nLeaves)
		case 5:
			return r.keyValues(typ, f)
		}
		return r.skip(typ)
	})
	if err != nil {
		return nil, fmt.Errorf("footer at byte %d of %d: %w", r.pos, len(b), err)
	}
	if len(f.schema) != nSchema {
		return nil, fmt.Errorf("footer without a schema")
	}
	for i, g := range f.groups {
		if len(g.chunks) != nLeaves {
			return nil, fmt.Errorf("row group %d without its column chunks", i)
		}
	}
	return f, nil
}

func (r *thriftReader) schema(typ byte, f *footer, n int) error {
	et, m, err := r.list(typ, n)
	if err != nil || m != n || et != tStruct {
		return fmt.Errorf("schema of %d elements of type %d, the table's has %d: %v", m, et, n, err)
	}
	f.schema = make([]schemaElem, n)
	for i := range f.schema {
		e := &f.schema[i]
		e.typ, e.rep = -1, -1
		err := r.fields(func(id int16, typ byte) error {
			var err error
			var name []byte
			switch id {
			case 1:
				e.typ, err = r.integer(typ, 7)
			case 3:
				e.rep, err = r.integer(typ, 2)
			case 4:
				name, err = r.binary(typ)
				e.name = string(name)
			case 5:
				e.children, err = r.integer(typ, int64(n))
			default:
				err = r.skip(typ)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("schema element %d: %w", i, err)
		}
	}
	return nil
}

func (r *thriftReader) rowGroups(typ byte, f *footer, nLeaves int) error {
	// A row group takes at least a byte per column chunk.
	et, n, err := r.list(typ, (len(r.b)-r.pos)/max(1, nLeaves))
	if err != nil || et != tStruct {
		return fmt.Errorf("row groups: %v", err)
	}
	f.groups = make([]rowGroup, n)
	for i := range f.groups {
		g := &f.groups[i]
		err := r.fields(func(id int16, typ byte) error {
			switch id {
			case 1:
				return r.columnChunks(typ, g, nLeaves)
			case 3:
				var err error
				g.numRows, err = r.integer(typ, math.MaxInt64)
				return err
			}
			return r.skip(typ)
		})
		if err != nil {
			return fmt.Errorf("row group %d: %w", i, err)
		}
	}
	return nil
}

func (r *thriftReader) columnChunks(typ byte, g *rowGroup, n int) error {
	et, m, err := r.list(typ, n)
	if err != nil || m != n || et != tStruct {
		return fmt.Errorf("%d column chunks, the table has %d leaf columns: %v", m, n, err)
	}
	g.chunks = make([]chunkMeta, n)
	for i := range g.chunks {
		c := &g.chunks[i]
		err := r.fields(func(id int16, typ byte) error {
			if id == 3 {
				return r.chunkMeta(typ, c)
			}
			return r.skip(typ)
		})
		if err != nil {
			return fmt.Errorf("column chunk %d: %w", i, err)
		}
	}
	return nil
}

// chunkMeta reads a ColumnMetaData.
func (r *thriftReader) chunkMeta(typ byte, c *chunkMeta) error {
	if typ != tStruct {
		return fmt.Errorf("thrift: type %d where column metadata was expected", typ)
	}
	c.typ = -1
	return r.fields(func(id int16, typ byte) error {
		var err error
		switch id {
		case 1:
			c.typ, err = r.integer(typ, 7)
		case 3:
			c.path, err = r.path(typ)
		case 4:
			c.codec, err = r.integer(typ, math.MaxInt32)
		case 5:
			c.numValues, err = r.integer(typ, math.MaxInt64)
		case 7:
			c.size, err = r.integer(typ, math.MaxInt64)
		case 9:
			c.dataOffset, err = r.integer(typ, math.MaxInt64)
		case 11:
			c.dictOffset, err = r.integer(typ, math.MaxInt64)
		default:
			err = r.skip(typ)
		}
		return err
	})
}

// path reads path_in_schema: the dataset's leaves are at most 3 deep.
func (r *thriftReader) path(typ byte) ([]string, error) {
	et, n, err := r.list(typ, 3)
	if err != nil || et != tBinary {
		return nil, fmt.Errorf("path in schema: %v", err)
	}
	p := make([]string, n)
	for i := range p {
		b, err := r.binary(tBinary)
		if err != nil {
			return nil, err
		}
		p[i] = string(b)
	}
	return p, nil
}

func (r *thriftReader) keyValues(typ byte, f *footer) error {
	et, n, err := r.list(typ, len(r.b))
	if err != nil || et != tStruct {
		return fmt.Errorf("key-value metadata: %v", err)
	}
	for range n {
		var k, v []byte
		vAt := -1
		err := r.fields(func(id int16, typ byte) error {
			var err error
			switch id {
			case 1:
				k, err = r.binary(typ)
			case 2:
				v, err = r.binary(typ)
				vAt = r.pos - len(v)
			default:
				err = r.skip(typ)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("key-value metadata: %w", err)
		}
		f.kv[string(k)] = string(v)
		if string(k) == metadataCRCKey {
			f.crcAt = vAt
		}
	}
	return nil
}

// pageHeader is what reading a page needs of its header (PageHeader,
// with the DataPageHeader or DictionaryPageHeader it holds).
type pageHeader struct {
	typ          int64
	size         int64 // uncompressed
	compressed   int64
	crc          int64 // 0 when absent
	numValues    int64
	encoding     int64
	defEncoding  int64
	repEncoding  int64
	hasDataOrDic bool
}

// readPageHeader decodes the page header at the start of b and returns
// it with its length.
func readPageHeader(b []byte) (pageHeader, int, error) {
	r := &thriftReader{b: b}
	var h pageHeader
	h.typ = -1
	err := r.fields(func(id int16, typ byte) error {
		var err error
		switch id {
		case 1:
			h.typ, err = r.integer(typ, 3)
		case 2:
			h.size, err = r.integer(typ, math.MaxInt32)
		case 3:
			h.compressed, err = r.integer(typ, math.MaxInt32)
		case 4:
			if typ != tI32 {
				return fmt.Errorf("thrift: type %d where a checksum was expected", typ)
			}
			var v int64
			v, err = r.varint()
			h.crc = int64(uint32(v))
		case 5, 7:
			if typ != tStruct {
				return fmt.Errorf("thrift: type %d where a page header was expected", typ)
			}
			h.hasDataOrDic = true
			err = r.fields(func(id int16, typ byte) error {
				var err error
				switch id {
				case 1:
					h.numValues, err = r.integer(typ, math.MaxInt32)
				case 2:
					h.encoding, err = r.integer(typ, math.MaxInt32)
				case 3:
					h.defEncoding, err = r.integer(typ, math.MaxInt32)
				case 4:
					h.repEncoding, err = r.integer(typ, math.MaxInt32)
				default:
					err = r.skip(typ)
				}
				return err
			})
		default:
			err = r.skip(typ)
		}
		return err
	})
	return h, r.pos, err
}

// readKeyValues decodes only a footer's key-value metadata and
// created_by.
func readKeyValues(b []byte) (*footer, error) {
	r := &thriftReader{b: b}
	f := &footer{kv: map[string]string{}, crcAt: -1}
	err := r.fields(func(id int16, typ byte) error {
		switch id {
		case 5:
			return r.keyValues(typ, f)
		case 6:
			s, err := r.binary(typ)
			f.createdBy = string(s)
			return err
		}
		return r.skip(typ)
	})
	return f, err
}
