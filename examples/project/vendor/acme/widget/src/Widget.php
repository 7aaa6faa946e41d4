<?php

namespace Acme\Widget;

final class Widget
{
}
