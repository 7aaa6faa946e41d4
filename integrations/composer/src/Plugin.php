<?php

declare(strict_types=1);

namespace PgpPkg\ComposerPlugin;

use Composer\Cache;
use Composer\Composer;
use Composer\EventDispatcher\EventSubscriberInterface;
use Composer\Installer\PackageEvent;
use Composer\Installer\PackageEvents;
use Composer\IO\IOInterface;
use Composer\Package\PackageInterface;
use Composer\Plugin\PluginEvents;
use Composer\Plugin\PluginInterface;
use Composer\Plugin\PostFileDownloadEvent;
use Composer\Util\Filesystem;
use Composer\Util\ProcessExecutor;

/**
 * The gate: what Composer installs is what pgp-pkg verified.
 *
 * Zip dists are extracted by pgp-pkg itself (`pgp-pkg hook composer
 * --archive ZIP --extract-to DIR`, through VerifyingZipDownloader), which
 * writes exactly the files it verified, and nothing unless the project's
 * policy is met; the install then fails with pgp-pkg's reason. Other archive
 * types cannot be verified and are refused.
 *
 * Packages from `path` repositories have no archive: their installed tree is
 * verified right after installation instead.
 */
final class Plugin implements PluginInterface, EventSubscriberInterface
{
    /** @var Composer */
    private $composer;
    /** @var IOInterface */
    private $io;

    /** @var VerifyingZipDownloader|null */
    private $zipDownloader;

    public function activate(Composer $composer, IOInterface $io): void
    {
        $this->composer = $composer;
        $this->io = $io;

        // The same construction as Composer's Factory::createDownloadManager.
        $config = $composer->getConfig();
        $loop = $composer->getLoop();
        $process = $loop->getProcessExecutor() ?? new ProcessExecutor($io);
        $cache = null;
        if ($config->get('cache-files-ttl') > 0) {
            $cache = new Cache($io, $config->get('cache-files-dir'), 'a-z0-9_./');
            $cache->setReadOnly($config->get('cache-read-only'));
        }
        $this->zipDownloader = new VerifyingZipDownloader(
            $io,
            $config,
            $loop->getHttpDownloader(),
            $composer->getEventDispatcher(),
            $cache,
            new Filesystem($process),
            $process
        );
        $this->zipDownloader->setGate($this);
        $composer->getDownloadManager()->setDownloader('zip', $this->zipDownloader);
    }

    public function deactivate(Composer $composer, IOInterface $io): void
    {
    }

    public function uninstall(Composer $composer, IOInterface $io): void
    {
    }

    public static function getSubscribedEvents(): array
    {
        return [
            PluginEvents::POST_FILE_DOWNLOAD => 'onPostFileDownload',
            PackageEvents::POST_PACKAGE_INSTALL => 'onPathPackage',
            PackageEvents::POST_PACKAGE_UPDATE => 'onPathPackage',
        ];
    }

    /**
     * Runs before extraction: makes sure the archive will be extracted by
     * pgp-pkg, and refuses what it cannot verify.
     */
    public function onPostFileDownload(PostFileDownloadEvent $event): void
    {
        $package = $event->getContext();
        if ($event->getType() !== 'package' || !$package instanceof PackageInterface) {
            return;
        }
        $type = (string) $package->getDistType();
        if ($type !== 'zip') {
            throw new GateClosed(sprintf(
                'pgp-pkg refused %s %s: its dist is a %s archive, and pgp-pkg verifies zip dists only. Nothing of it was extracted.',
                $package->getName(),
                $package->getPrettyVersion(),
                $type
            ));
        }
        if ($this->composer->getDownloadManager()->getDownloader('zip') !== $this->zipDownloader) {
            throw new GateClosed(
                'pgp-pkg: another plugin replaced Composer\'s zip downloader, so pgp-pkg cannot be the one that extracts '
                . $package->getName() . '. Refusing to install unverified files.'
            );
        }
    }

    /**
     * Called by VerifyingZipDownloader: pgp-pkg verifies the archive and
     * writes exactly the verified files into $dir, or nothing and fails.
     */
    public function extractVerified(PackageInterface $package, string $file, string $dir): void
    {
        $this->verify($package, ['--archive', $file, '--extract-to', $dir]);
    }

    public function onPathPackage(PackageEvent $event): void
    {
        $operation = $event->getOperation();
        $package = method_exists($operation, 'getTargetPackage') ? $operation->getTargetPackage() : $operation->getPackage();
        if ($package->getDistType() !== 'path') {
            return;
        }
        $tree = $this->composer->getInstallationManager()->getInstallPath($package);
        if (self::isThisPlugin($tree)) {
            // This very code is running: checking it now proves nothing, and
            // refusing it would only stop the gate from being installed.
            $this->io->writeError(sprintf(
                '  - pgp-pkg: <comment>%s is this plugin, already running: not verified by itself '
                . '(check it with `pgp-pkg verify-tree composer.lock`)</comment>',
                $package->getName()
            ));

            return;
        }
        $this->verify($package, ['--tree', $tree]);
    }

    /** @param list<string> $what */
    private function verify(PackageInterface $package, array $what): void
    {
        $name = $package->getName();
        $version = $package->getPrettyVersion();
        $command = array_merge(
            [$this->binary(), 'hook', 'composer'],
            $what,
            ['--name', $name, '--version', $version],
            self::source($package)
        );
        $process = new ProcessExecutor($this->io);
        $output = '';
        $status = $process->execute($command, $output);
        // pgp-pkg's report: the verdict line ("[ok] composer acme/widget 1.0.0: ok
        // (trust: full)"), its reasons indented below, then a summary line.
        $lines = self::lines($output);
        $verdict = array_shift($lines) ?? '';
        $details = array_filter($lines, static function (string $line): bool {
            return strpos($line, '    ') === 0;
        });
        if ($status === 0) {
            $tag = strpos($verdict, '[ok]') === 0 ? 'info' : 'comment';
            $this->io->writeError(sprintf('  - pgp-pkg: <%s>%s</%s>', $tag, $verdict, $tag));
            foreach ($details as $line) {
                $this->io->writeError('    ' . $line);
            }

            return;
        }
        foreach (array_merge([$verdict], $details, self::lines($process->getErrorOutput())) as $line) {
            if ($line !== '') {
                $this->io->writeError('  <error>pgp-pkg:</error> ' . trim($line));
            }
        }
        if ($what[0] === '--archive') {
            $where = 'nothing of it was extracted';
        } else {
            $where = 'remove it before running any code';
            $this->io->writeError('  <error>pgp-pkg:</error> it comes from a path repository, so it could only be checked after being copied into vendor/');
        }
        $this->io->writeError('  <error>pgp-pkg:</error> during `composer update`, composer.lock may already name the new version while vendor/ keeps the old one');
        // Short: Composer boxes this message and wraps it at the terminal's width.
        throw new GateClosed(sprintf(
            '%s %s %s: %s (the reasons are above)',
            $status === 1 ? 'pgp-pkg refused' : sprintf('pgp-pkg could not verify (exit %d)', $status),
            $name,
            $version,
            $where
        ));
    }

    /** Whether the installed tree at $tree is the one this code runs from. */
    private static function isThisPlugin(string $tree): bool
    {
        $here = realpath(dirname(__DIR__));
        $there = realpath($tree);

        return $here !== false && $there !== false && $here === $there;
    }

    /**
     * The package's git source, for `--git` (PGP_PKG_GIT=1 or `git = true` in
     * pgp-pkg.toml): pgp-pkg checks the release tag there (docs/git-evidence.md).
     *
     * @return list<string>
     */
    private static function source(PackageInterface $package): array
    {
        $url = $package->getSourceUrl();
        if ($package->getSourceType() !== 'git' || !is_string($url) || $url === '') {
            return [];
        }
        $args = ['--source-url', $url];
        $reference = $package->getSourceReference();
        if (is_string($reference) && $reference !== '') {
            $args[] = '--source-reference';
            $args[] = $reference;
        }

        return $args;
    }

    /**
     * PGP_PKG_BIN, else extra.pgp-pkg.bin in the root composer.json, else
     * `pgp-pkg` on PATH. A missing binary fails the install: no check, no code.
     */
    private function binary(): string
    {
        $fromEnv = getenv('PGP_PKG_BIN');
        if (is_string($fromEnv) && $fromEnv !== '') {
            if (!is_executable($fromEnv)) {
                throw new GateClosed(sprintf(
                    'PGP_PKG_BIN names %s, which is not an executable program: fix the path. '
                    . 'Refusing to install unverified packages (composer --no-plugins bypasses this plugin).',
                    $fromEnv
                ));
            }

            return $fromEnv;
        }
        $extra = $this->composer->getPackage()->getExtra();
        if (isset($extra['pgp-pkg']['bin']) && is_string($extra['pgp-pkg']['bin'])) {
            return $extra['pgp-pkg']['bin'];
        }
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_executable($dir . DIRECTORY_SEPARATOR . 'pgp-pkg')) {
                return $dir . DIRECTORY_SEPARATOR . 'pgp-pkg';
            }
        }
        throw new GateClosed(
            'pgp-pkg is not installed: set PGP_PKG_BIN, extra.pgp-pkg.bin in composer.json, or put pgp-pkg on PATH. '
            . 'Refusing to install unverified packages (composer --no-plugins bypasses this plugin).'
        );
    }

    /** @return list<string> */
    private static function lines(string $text): array
    {
        return array_values(array_filter(
            explode("\n", rtrim($text)),
            static function (string $line): bool {
                return $line !== '';
            }
        ));
    }
}
