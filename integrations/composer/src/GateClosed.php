<?php

declare(strict_types=1);

namespace PgpPkg\ComposerPlugin;

use Symfony\Component\Console\Exception\ExceptionInterface;

/**
 * The install stops: pgp-pkg refused a package, could not verify it, or
 * could not run. A console exception, so Composer shows the message alone,
 * without the PHP file and line it was thrown at (the reasons are printed
 * above it, line by line, as pgp-pkg wrote them).
 */
final class GateClosed extends \RuntimeException implements ExceptionInterface
{
}
