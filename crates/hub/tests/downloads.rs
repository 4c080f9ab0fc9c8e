//! Downloads against a real HTTP server on 127.0.0.1 that plays the Hugging Face Hub (see
//! `mistral_hub::test_server`): full download, resume after a dropped connection, a changed
//! file, 404, truncated bodies, wrong checksums, gated repositories, quant picking,
//! HF_ENDPOINT, offline errors, and `list`/`rm` over the cache it leaves.

use mistral_hub::test_server::TestServer;
use mistral_hub::{Cache, HubConfig, HubError, ModelSource, Progress, Quiet, Resolver};
use std::path::{Path, PathBuf};

const REPO: &str = "test-owner/Tiny-GGUF";
const FILE: &str = "tiny.Q4_K_M.gguf";

/// Deterministic bytes that are not all alike (a prefix of the wrong file differs).
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A fresh cache folder under the target's temporary folder.
fn temp_cache(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mistral-hub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn resolver(server_endpoint: &str, cache: &Path, token: Option<&str>) -> Resolver {
    let config = HubConfig::from_vars(|k| match k {
        "HF_ENDPOINT" => Some(server_endpoint.to_string()),
        "HF_TOKEN" => token.map(str::to_string),
        "HF_TOKEN_PATH" => Some("/nonexistent/token".into()),
        _ => None,
    });
    Resolver::new(
        Cache {
            root: cache.to_path_buf(),
        },
        config,
    )
}

fn hf(repo: &str, file: &str) -> ModelSource {
    ModelSource::parse(&format!("hf:{repo}/{file}")).unwrap()
}

/// Remembers what a download reported.
#[derive(Default)]
struct Recorded {
    starts: Vec<(Option<u64>, u64)>,
    bytes: u64,
    notes: Vec<String>,
}

impl Progress for Recorded {
    fn start(&mut self, _: &str, total: Option<u64>, done: u64) {
        self.starts.push((total, done));
    }
    fn advance(&mut self, n: u64) {
        self.bytes += n;
    }
    fn note(&mut self, line: &str) {
        self.notes.push(line.to_string());
    }
    fn finish(&mut self) {}
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(d: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), root, out);
            } else {
                let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_hub_file_downloads_through_the_redirect_verified_and_recorded() {
    let server = TestServer::start();
    let bytes = data(300_000, 1);
    server.add_hf_file(REPO, FILE, bytes.clone());
    let cache = temp_cache("full");
    let r = resolver(server.endpoint(), &cache, None);
    let mut progress = Recorded::default();
    let path = r.resolve(&hf(REPO, FILE), &mut progress).unwrap();
    assert_eq!(path, cache.join("hf").join(REPO).join(FILE));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(progress.starts, vec![(Some(300_000), 0)]);
    assert_eq!(progress.bytes, 300_000);
    let meta = mistral_hub::Meta::read(&path).unwrap();
    assert_eq!(meta.source, format!("hf:{REPO}/{FILE}"));
    assert_eq!(meta.size, 300_000);
    // Nothing but the model and its record is left.
    assert_eq!(
        files_under(&cache),
        vec![
            format!("hf/{REPO}/{FILE}"),
            format!("hf/{REPO}/{FILE}.meta.json")
        ]
    );
    // Public repository: no token anywhere; the CDN got the GET.
    let log = server.requests();
    assert!(log.iter().all(|l| l.authorization.is_none()));
    assert!(log
        .iter()
        .any(|l| l.method == "GET" && l.path.starts_with("/cdn/") && l.body_bytes == 300_000));
    // The size and hash came from the Hub's redirect: no HEAD went to the CDN (whose signed
    // URLs may allow GET only).
    assert!(
        !log.iter()
            .any(|l| l.method == "HEAD" && l.path.starts_with("/cdn/")),
        "{log:?}"
    );
    // A cached file is used without asking the server again.
    server.clear_requests();
    assert_eq!(r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap(), path);
    assert!(server.requests().is_empty());
}

#[test]
fn a_dropped_connection_resumes_with_only_the_rest() {
    let server = TestServer::start();
    let bytes = data(300_000, 2);
    server.add_hf_file(REPO, FILE, bytes.clone());
    server.modify(&TestServer::hf_path(REPO, FILE), |f| {
        f.drop_after = Some(100_000)
    });
    let cache = temp_cache("resume");
    let r = resolver(server.endpoint(), &cache, None);
    let err = r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap_err();
    assert!(
        matches!(err, HubError::Interrupted { got: 100_000, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("run the same command again"),
        "{err}"
    );
    let dest = cache.join("hf").join(REPO).join(FILE);
    assert!(!dest.exists(), "a half file must not look complete");
    assert_eq!(
        std::fs::metadata(format!("{}.part", dest.display()))
            .unwrap()
            .len(),
        100_000
    );

    server.clear_requests();
    let mut progress = Recorded::default();
    let path = r.resolve(&hf(REPO, FILE), &mut progress).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(progress.starts, vec![(Some(300_000), 100_000)]);
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|l| l.method == "GET" && l.path.starts_with("/cdn/"))
        .collect();
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(gets[0].range.as_deref(), Some("bytes=100000-"));
    assert_eq!(gets[0].status, 206);
    assert_eq!(gets[0].body_bytes, 200_000, "only the rest is fetched");
    assert!(!Path::new(&format!("{}.part", dest.display())).exists());
}

#[test]
fn a_url_that_changed_since_the_interruption_is_fetched_whole() {
    let server = TestServer::start();
    let url = server.add_url("/files/m.gguf", data(200_000, 3));
    server.modify("/files/m.gguf", |f| f.drop_after = Some(50_000));
    let cache = temp_cache("changed");
    let r = resolver(server.endpoint(), &cache, None);
    let source = ModelSource::parse(&url).unwrap();
    r.resolve(&source, &mut Quiet).unwrap_err();
    // The file changes on the server: its ETag with it.
    let new = data(180_000, 4);
    server.modify("/files/m.gguf", |f| {
        *f = mistral_hub::test_server::Served::new(new.clone())
    });
    server.clear_requests();
    let path = r.resolve(&source, &mut Quiet).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), new);
    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert!(log[0].if_range.is_some(), "the resume asked If-Range");
    assert_eq!(log[0].status, 200, "the server sent the new file whole");
}

#[test]
fn a_missing_file_is_a_404_error_and_leaves_nothing() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(10, 5));
    let cache = temp_cache("404");
    let r = resolver(server.endpoint(), &cache, None);
    let err = r
        .resolve(&hf(REPO, "nope.gguf"), &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(err.contains("404") && err.contains("not found"), "{err}");
    let err = r
        .resolve(
            &ModelSource::parse(&format!("{}/x/y.gguf", server.endpoint())).unwrap(),
            &mut Quiet,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("404"), "{err}");
    assert!(
        files_under(&cache).iter().all(|f| !f.ends_with(".gguf")),
        "{:?}",
        files_under(&cache)
    );
}

#[test]
fn a_truncated_body_is_kept_as_a_part_and_completed_next_time() {
    let server = TestServer::start();
    let bytes = data(120_000, 6);
    server.add_hf_file(REPO, FILE, bytes.clone());
    // No Content-Length and a clean close: only X-Linked-Size shows the body is short.
    server.modify(&TestServer::hf_path(REPO, FILE), |f| {
        f.short_body = Some(70_000)
    });
    let cache = temp_cache("truncated");
    let r = resolver(server.endpoint(), &cache, None);
    let err = r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap_err();
    assert!(
        err.to_string().contains("70000 of 120000 bytes") && err.to_string().contains("early"),
        "{err}"
    );
    let dest = cache.join("hf").join(REPO).join(FILE);
    assert!(!dest.exists());
    let path = r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), bytes);
}

#[test]
fn a_wrong_checksum_deletes_the_download() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(50_000, 7));
    server.modify(&TestServer::hf_path(REPO, FILE), |f| {
        f.sha256 = "ab".repeat(32)
    });
    let cache = temp_cache("checksum");
    let r = resolver(server.endpoint(), &cache, None);
    let err = r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap_err();
    assert!(matches!(err, HubError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains(&"ab".repeat(32)), "{err}");
    assert_eq!(files_under(&cache), Vec::<String>::new(), "nothing kept");

    // The same for a plain URL's #sha256= fragment.
    let url = server.add_url("/m.gguf", data(1000, 8));
    let wrong = ModelSource::parse(&format!("{url}#sha256={}", "cd".repeat(32))).unwrap();
    assert!(matches!(
        r.resolve(&wrong, &mut Quiet),
        Err(HubError::Checksum { .. })
    ));
    assert_eq!(files_under(&cache), Vec::<String>::new());
    let good = mistral_hub::test_server::Served::new(data(1000, 8)).sha256;
    let right = ModelSource::parse(&format!("{url}#sha256={}", good.to_uppercase())).unwrap();
    let path = r.resolve(&right, &mut Quiet).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), data(1000, 8));
}

#[test]
fn a_gated_repo_needs_hf_token_which_never_reaches_the_cdn() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(20_000, 9));
    server.gate(REPO, "hf_secret");
    let cache = temp_cache("gated");
    let err = resolver(server.endpoint(), &cache, None)
        .resolve(&hf(REPO, FILE), &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("401") && err.contains("gated or private") && err.contains("HF_TOKEN"),
        "{err}"
    );
    let quant = ModelSource::parse(&format!("hf:{REPO}:Q4_K_M")).unwrap();
    let err = resolver(server.endpoint(), &cache, Some("hf_wrong"))
        .resolve(&quant, &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(err.contains("HF_TOKEN"), "{err}");

    server.clear_requests();
    let path = resolver(server.endpoint(), &cache, Some("hf_secret"))
        .resolve(&quant, &mut Quiet)
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), data(20_000, 9));
    for l in server.requests() {
        let to_cdn = l.path.starts_with("/cdn/");
        assert_eq!(
            l.authorization.is_some(),
            !to_cdn,
            "the token goes to the Hub only: {l:?}"
        );
    }
}

#[test]
fn a_quant_type_picks_the_one_matching_file() {
    let server = TestServer::start();
    for (f, seed) in [
        ("m.Q4_K_M.gguf", 10),
        ("m.Q4_K_S.gguf", 11),
        ("m.Q8_0.gguf", 12),
        ("README.md", 13),
    ] {
        server.add_hf_file(REPO, f, data(1000, seed));
    }
    let cache = temp_cache("quant");
    let r = resolver(server.endpoint(), &cache, None);
    let mut progress = Recorded::default();
    let q = ModelSource::parse(&format!("hf:{REPO}:q4_k_m")).unwrap();
    let path = r.resolve(&q, &mut progress).unwrap();
    assert!(path.ends_with("m.Q4_K_M.gguf"), "{}", path.display());
    assert_eq!(std::fs::read(&path).unwrap(), data(1000, 10));
    assert!(progress
        .notes
        .iter()
        .any(|n| n.contains("is m.Q4_K_M.gguf")));
    // Picked again from the cache, without the network.
    server.clear_requests();
    assert_eq!(r.resolve(&q, &mut Quiet).unwrap(), path);
    assert!(server.requests().is_empty());
    // None of that type: the error lists what there is.
    let none = ModelSource::parse(&format!("hf:{REPO}:Q5_K_M")).unwrap();
    let err = r.resolve(&none, &mut Quiet).unwrap_err().to_string();
    assert!(
        err.contains("no GGUF file of type Q5_K_M") && err.contains("m.Q8_0.gguf"),
        "{err}"
    );
    // An unknown repository.
    let err = r
        .resolve(&ModelSource::parse("hf:x/y:Q4_0").unwrap(), &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(err.contains("404"), "{err}");
}

#[test]
fn hf_endpoint_decides_where_requests_go() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(100, 14));
    let cache = temp_cache("endpoint");
    // A trailing slash, as users write it.
    let r = resolver(&format!("{}/", server.endpoint()), &cache, None);
    assert_eq!(r.config.endpoint, server.endpoint());
    r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap();
    assert!(server
        .requests()
        .iter()
        .any(|l| l.path == format!("/{REPO}/resolve/main/{FILE}")));
}

#[test]
fn an_unreachable_hub_says_offline_and_suggests_a_path() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let cache = temp_cache("offline");
    let r = resolver("http://127.0.0.1:1", &cache, None);
    for source in [hf(REPO, FILE), ModelSource::parse("hf:o/r:Q4_K_M").unwrap()] {
        let err = r.resolve(&source, &mut Quiet).unwrap_err();
        assert!(matches!(err, HubError::Offline { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("offline") && msg.contains("--model PATH") && msg.contains("127.0.0.1:1"),
            "{msg}"
        );
    }
}

#[test]
fn list_shows_and_rm_removes_cached_models() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(4000, 15));
    server.add_hf_file(REPO, "other.Q8_0.gguf", data(3000, 16));
    let url = server.add_url("/dl/plain.gguf", data(2000, 17));
    let cache_dir = temp_cache("list");
    let r = resolver(server.endpoint(), &cache_dir, None);
    r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap();
    r.resolve(&hf(REPO, "other.Q8_0.gguf"), &mut Quiet).unwrap();
    r.resolve(&ModelSource::parse(&url).unwrap(), &mut Quiet)
        .unwrap();
    let cache = Cache {
        root: cache_dir.clone(),
    };
    let entries = cache.list().unwrap();
    let summary: Vec<(String, u64, Option<String>)> = entries
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.size,
                e.meta.as_ref().map(|m| m.source.clone()),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary.contains(&(
        format!("hf/{REPO}/{FILE}"),
        4000,
        Some(format!("hf:{REPO}/{FILE}"))
    )));
    assert!(summary.iter().any(|(n, s, src)| n.ends_with("/plain.gguf")
        && *s == 2000
        && src.as_deref() == Some(url.as_str())));

    // By source, by file name, by URL.
    let e = cache.find(&format!("hf:{REPO}/{FILE}")).unwrap();
    assert!(cache.remove(&e).unwrap() > 4000);
    let e = cache.find("other.Q8_0.gguf").unwrap();
    cache.remove(&e).unwrap();
    let e = cache.find(&url).unwrap();
    cache.remove(&e).unwrap();
    assert!(cache.list().unwrap().is_empty());
    // Empty folders go too, the root stays.
    assert!(cache_dir.exists());
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), 0);
    let err = cache.find("gone.gguf").unwrap_err().to_string();
    assert!(err.contains("not in the cache"), "{err}");
}

#[test]
fn an_unfinished_download_is_listed_and_removable() {
    let server = TestServer::start();
    server.add_hf_file(REPO, FILE, data(90_000, 18));
    server.modify(&TestServer::hf_path(REPO, FILE), |f| {
        f.drop_after = Some(30_000)
    });
    let cache_dir = temp_cache("partial");
    let r = resolver(server.endpoint(), &cache_dir, None);
    r.resolve(&hf(REPO, FILE), &mut Quiet).unwrap_err();
    let cache = Cache {
        root: cache_dir.clone(),
    };
    let entries = cache.list().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].partial && entries[0].size == 30_000);
    let e = cache.find(FILE).unwrap();
    cache.remove(&e).unwrap();
    assert_eq!(files_under(&cache_dir), Vec::<String>::new());
}
