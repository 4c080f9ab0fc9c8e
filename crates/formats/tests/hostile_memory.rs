//! Header memory follows the bytes present, whatever the header's counts or the source's
//! claimed length say (issue 9). A counting global allocator measures the peak bytes allocated
//! while parsing; one test runs the cases in turn so that no other test's allocations interfere.

use mistral_formats::byte_source::{check_range, PrefixSource};
use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataArray, MetadataValue};
use mistral_formats::{ByteSource, FormatError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        CURRENT.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // Counted as the old and new blocks both live: the worst case of a moving realloc.
        grew(new);
        let q = System.realloc(p, l, new);
        CURRENT.fetch_sub(l.size(), Relaxed);
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated by `f` beyond what was live when it started.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed) - base)
}

/// A source that claims `claimed` bytes but holds only `data` (a server lying about a file's
/// size, or a sparse file): reads past `data` fail.
struct Lying {
    data: Vec<u8>,
    claimed: u64,
}

impl ByteSource for Lying {
    fn len(&self) -> u64 {
        self.claimed
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> mistral_formats::error::Result<()> {
        check_range(offset, buf.len() as u64, self.data.len() as u64)?;
        buf.copy_from_slice(&self.data[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
}

/// A GGUF v3 header start: magic, version, tensor and metadata counts.
fn header(n_tensors: u64, n_kv: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(n_tensors.to_le_bytes());
    b.extend(n_kv.to_le_bytes());
    b
}

fn key(b: &mut Vec<u8>, k: &str, ty: u32) {
    b.extend((k.len() as u64).to_le_bytes());
    b.extend(k.as_bytes());
    b.extend(ty.to_le_bytes());
}

/// One metadata entry holding an array of `count` elements of type `elem`, with no elements
/// written: the count is all the header says.
fn array_claim(elem: u32, count: u64) -> Vec<u8> {
    let mut b = header(0, 1);
    key(&mut b, "big", 9);
    b.extend(elem.to_le_bytes());
    b.extend(count.to_le_bytes());
    b
}

const MB: usize = 1 << 20;

#[test]
fn header_memory_follows_the_bytes_present() {
    // 1. A real 40 MB u8 array: decoded at 1 byte an element (32 before), with room for the
    //    vector's growth; the file's own bytes are not counted (held before parsing).
    let mut w = GgufWriter::new();
    let n = 40 * MB;
    w.metadata
        .set("big", MetadataValue::Array(MetadataArray::U8(vec![7; n])));
    let file = w.to_bytes().unwrap();
    drop(w);
    let (g, peak) = peak_during(|| GgufFile::read(&file).unwrap());
    eprintln!("40 MiB u8 array: parse peaked at {peak} bytes beyond the file");
    let a = g.metadata.get_array("big").unwrap().unwrap();
    assert_eq!(a.len(), n);
    assert!(
        peak <= 3 * n,
        "parsing a {n}-byte array peaked at {peak} bytes"
    );
    drop(g);

    // 2. A source claiming 1 TB with only a header: a u8 array claiming 2^39 elements is over the
    //    metadata budget before anything is allocated.
    let lying = Lying {
        data: array_claim(0, 1 << 39),
        claimed: 1 << 40,
    };
    let (r, peak) = peak_during(|| GgufFile::read(&lying));
    let e = r.unwrap_err();
    assert!(matches!(e, FormatError::MetadataBudget { .. }), "{e}");
    assert!(e.to_string().contains("metadata memory budget"), "{e}");
    assert!(peak < MB, "refusing took {peak} bytes");

    // 3. Counts under the budget that the bytes do not back: each fails at the first missing
    //    chunk, having allocated little. u32, u64 elements, strings, arrays of arrays, a 200 MB
    //    string, and header counts of tensors and keys.
    let mut string = header(0, 1);
    key(&mut string, "s", 8);
    string.extend((200u64 << 20).to_le_bytes());
    let cases = [
        ("u32 array", array_claim(4, 50 << 20)),
        ("u64 array", array_claim(10, 30 << 20)),
        ("string array", array_claim(8, 10 << 20)),
        ("array of arrays", array_claim(9, 4 << 20)),
        ("200 MB string", string),
        ("tensor count", header(1 << 30, 0)),
        ("metadata count", header(0, 1 << 30)),
    ];
    for (what, data) in cases {
        for claimed in [1u64 << 40, 1 << 34] {
            let lying = Lying {
                data: data.clone(),
                claimed,
            };
            let (r, peak) = peak_during(|| GgufFile::read(&lying));
            assert!(r.is_err(), "{what}: parsed");
            assert!(peak < 2 * MB, "{what}: {peak} bytes before failing");
            // The browser's case: the prefix fetched so far, the size the server claims.
            let prefix = PrefixSource {
                prefix: data.clone(),
                total_len: claimed,
            };
            let (r, peak) = peak_during(|| GgufFile::read(&prefix));
            assert!(r.is_err(), "{what}: parsed from a prefix");
            assert!(
                peak < 2 * MB,
                "{what}: {peak} bytes before failing (prefix)"
            );
        }
    }
}
