<?php

declare(strict_types=1);

namespace PgpPkg\ComposerPlugin;

use Composer\Downloader\ZipDownloader;
use Composer\Package\PackageInterface;
use React\Promise\PromiseInterface;

/**
 * Composer's zip downloader with one change: the archive is extracted by
 * pgp-pkg, which writes exactly the files it verified and nothing when the
 * policy is not met. Composer's own extractors (unzip, then PHP's
 * ZipArchive) never read the archive, so no disagreement between zip
 * readers can put an unverified byte into vendor/.
 *
 * Composer moves the extraction folder into vendor/ afterwards; the files go
 * into one folder below it so that Composer's "single folder at the top"
 * rule moves exactly that folder.
 */
final class VerifyingZipDownloader extends ZipDownloader
{
    /** @var Plugin|null */
    private $gate;

    public function setGate(Plugin $gate): void
    {
        $this->gate = $gate;
    }

    protected function extract(PackageInterface $package, string $file, string $path): PromiseInterface
    {
        if ($this->gate === null) {
            throw new \LogicException('pgp-pkg: the verifying zip downloader has no gate; refusing to extract.');
        }
        $this->gate->extractVerified($package, $file, $path . DIRECTORY_SEPARATOR . 'pgp-pkg-verified');

        return \React\Promise\resolve(null);
    }
}
